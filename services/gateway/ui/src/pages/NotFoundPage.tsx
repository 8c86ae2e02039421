import { Link } from "react-router";

import { EmptyState } from "../components/States";

export function NotFoundPage() {
  return (
    <EmptyState title="No such page">
      Nothing lives at this address. <Link to="/">See the projects</Link>.
    </EmptyState>
  );
}
