// Placeholder: being written.
export default function SpansPage() {
  return <div>SpansPage</div>;
}
