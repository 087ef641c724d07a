import { formatAgo } from "../../lib/format";

/** A container's state as the list and its header show it: "exited (1) 3 minutes ago", "paused". */
export function stateLabel(c: { state: string; paused: boolean; exitCode: number | null; finishedAt: string | null }): string {
  if (c.paused) return "paused";
  if (c.state === "exited") return `exited (${c.exitCode ?? "?"}) ${formatAgo(c.finishedAt)}`;
  return c.state;
}
