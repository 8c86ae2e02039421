// What a project's pages show when the name in the address names no project.
import { Link } from "react-router";

import { EmptyState } from "../States";

/** "No project named X": the project never received a trace, or it was deleted. */
export function MissingProject({ name }: { name: string }) {
  return (
    <EmptyState title={`No project named ${name}`}>
      It has not received any traces yet, or it was deleted. <Link to="/">See the projects</Link>
      .
    </EmptyState>
  );
}
