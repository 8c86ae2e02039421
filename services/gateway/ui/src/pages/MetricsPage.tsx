// Placeholder: being written.
export default function MetricsPage() {
  return <div>MetricsPage</div>;
}
