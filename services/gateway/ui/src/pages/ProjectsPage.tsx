// Placeholder: being written.
export default function ProjectsPage() {
  return <div>ProjectsPage</div>;
}
