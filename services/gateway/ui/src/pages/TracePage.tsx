// Placeholder: being written.
export default function TracePage() {
  return <div>TracePage</div>;
}
