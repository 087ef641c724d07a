import type { ContainerSummary } from "../lib/trpc";
import { formatAgo, formatCmd, shortId } from "../lib/format";

function stateLabel(c: ContainerSummary): string {
  if (c.state === "exited") return c.error ? "exited (error)" : "exited";
  if (c.state === "running" && c.paused) return "paused";
  if (c.state === "restarting") return `restarting (${c.restartCount})`;
  return c.state;
}

export function ContainersTable({
  containers,
  selected,
  onSelect,
}: {
  containers: ContainerSummary[] | null;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  return (
    <table data-testid="containers-table" className="clickable">
      <thead>
        <tr>
          <th>Name</th>
          <th>Id</th>
          <th>Image</th>
          <th>Command</th>
          <th>State</th>
          <th className="num">Exit code</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {containers === null && (
          <tr>
            <td colSpan={7} className="muted">
              Loading…
            </td>
          </tr>
        )}
        {containers?.length === 0 && (
          <tr>
            <td colSpan={7} className="muted">
              No containers yet: run one above.
            </td>
          </tr>
        )}
        {containers?.map((c) => (
          <tr
            key={c.id}
            data-testid="container-row"
            data-container-id={c.id}
            data-state={c.state}
            className={c.id === selected ? "selected" : undefined}
            onClick={() => onSelect(c.id)}
          >
            <td>{c.name}</td>
            <td className="mono">{shortId(c.id)}</td>
            <td>{c.image}</td>
            <td className="mono cmd" title={formatCmd(c.cmd)}>
              {formatCmd(c.cmd)}
            </td>
            <td>
              <span className={`state ${c.state}`} title={c.error ?? undefined}>
                {stateLabel(c)}
              </span>
            </td>
            <td className="num">{c.exitCode ?? ""}</td>
            <td title={c.createdAt}>{formatAgo(c.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
