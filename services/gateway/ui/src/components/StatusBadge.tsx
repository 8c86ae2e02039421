/** OK, ERROR or UNSET, coloured. */
export function StatusBadge({ status }: { status: string }) {
  const normalized = status.toUpperCase();
  return (
    <span className={`status status-${normalized.toLowerCase()}`} data-testid="status">
      {normalized === "ERROR" ? "error" : normalized === "OK" ? "ok" : "unset"}
    </span>
  );
}
