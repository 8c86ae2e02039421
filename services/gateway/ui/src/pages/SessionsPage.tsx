// Placeholder: being written.
export default function SessionsPage() {
  return <div>SessionsPage</div>;
}
