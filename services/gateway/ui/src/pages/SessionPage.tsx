// Placeholder: being written.
export default function SessionPage() {
  return <div>SessionPage</div>;
}
