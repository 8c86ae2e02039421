// Placeholder: being written.
export default function TracesPage() {
  return <div>TracesPage</div>;
}
