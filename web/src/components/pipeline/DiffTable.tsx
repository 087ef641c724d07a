import { Badge, Table } from "../ui";
import { Digest } from "./Digest";
import type { ReleaseDiff } from "./types";

type ImageChange = { service: string; from?: string; to?: string };

/** Each service's digest now and after: the exact images the change deploys. */
export function ImageDiff({ changes, fromLabel, toLabel }: { changes: ImageChange[]; fromLabel: string; toLabel: string }) {
  if (changes.length === 0) return <p className="muted">No images on either side.</p>;
  return (
    <Table caption="Images before and after" data-testid="diff-images">
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">{fromLabel}</th>
          <th scope="col">{toLabel}</th>
          <th scope="col">Change</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => {
          const change = !c.from ? "added" : !c.to ? "removed" : c.from === c.to ? "same" : "changed";
          return (
            <tr key={c.service} data-testid="diff-image" data-service={c.service} data-change={change}>
              <td className="mono">{c.service}</td>
              <td>{c.from ? <Digest digest={c.from} service={c.service} /> : <span className="muted">–</span>}</td>
              <td>{c.to ? <Digest digest={c.to} service={c.service} /> : <span className="muted">–</span>}</td>
              <td>
                <Badge tone={change === "same" ? "neutral" : change === "removed" ? "bad" : "info"}>{change === "same" ? "unchanged" : change}</Badge>
              </td>
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}

/** Config keys that differ (never their values: some are secrets). */
export function ConfigDiff({ changes }: { changes: ReleaseDiff["config"] }) {
  if (changes.length === 0) return <p className="muted" data-testid="diff-config-none">Config: no change.</p>;
  return (
    <div>
      <p>Config:</p>
      <ul className="pipeline-config-diff" data-testid="diff-config">
        {changes.map((c) => (
          <li key={c.key} data-key={c.key} data-change={c.change}>
            <span className="mono">{c.key}</span> <Badge tone={c.change === "removed" ? "bad" : c.change === "added" ? "ok" : "info"}>{c.change}</Badge>
          </li>
        ))}
      </ul>
    </div>
  );
}
