"use client";
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/query";
import { Button, Dialog, ErrorBox, Loading } from "../ui";
import { ConfigDiff, ImageDiff } from "./DiffTable";
import { canRollBackTo, imageChanges, shortSha } from "./format";
import type { EnvironmentRow } from "./types";

export type Change = { kind: "promote"; from: EnvironmentRow; to: EnvironmentRow } | { kind: "rollback"; env: EnvironmentRow; to?: number };

/** What promote and rollback answer once the deploy is over: the new release serves (ok), or failed with the old one serving. */
interface Done {
  number: number;
  url: string | null;
  ok: boolean;
  error: string | null;
  lines: string[];
  /** A target that runs elsewhere: where each image was copied, by digest. */
  copiedTo: Record<string, string> | null;
}

/** What a promotion deploys: the source's live images, with the target's own config. */
function PromotePlan({ project, from, to }: { project: string; from: EnvironmentRow; to: EnvironmentRow }) {
  const trpc = useTRPC();
  const src = from.live!;
  const detail = useQuery(trpc.releases.show.queryOptions({ project, env: from.name, number: src.number }));
  return (
    <div className="pipeline-plan" data-testid="promote-plan">
      <p>
        {to.name} gets {from.name} v{src.number}&apos;s images, by digest: nothing is rebuilt. {to.name} keeps its own config (version {to.configVersion}).
      </p>
      {to.registry && (
        <p data-testid="plan-registry">
          {to.name} runs elsewhere: the images are copied to <span className="mono">{to.registry.repository}</span> and read back to check their digests; nothing starts here.
        </p>
      )}
      <ImageDiff changes={imageChanges(to.live?.images ?? {}, src.images)} fromLabel={to.live ? `${to.name} v${to.live.number}` : `${to.name} (nothing yet)`} toLabel={`after (${from.name} v${src.number})`} />
      <p>
        Commit: <span className="mono">{to.live?.sha ? shortSha(to.live.sha) : "–"}</span> → <span className="mono">{src.sha ? shortSha(src.sha) : "none recorded"}</span>
      </p>
      {detail.data?.releaseCommand && (
        <p data-testid="plan-release-command">
          Runs the release command <code>{detail.data.releaseCommand}</code> once before traffic moves.
        </p>
      )}
    </div>
  );
}

/** What a rollback deploys: an earlier release's images and config, as a new release. */
function RollbackPlan({ project, env, to, setTo }: { project: string; env: EnvironmentRow; to: number | null; setTo: (n: number) => void }) {
  const trpc = useTRPC();
  const live = env.live!;
  const list = useQuery(trpc.releases.list.queryOptions({ project, env: env.name, limit: 50 }));
  const choices = (list.data ?? []).filter((r) => canRollBackTo(r, live.number));
  useEffect(() => {
    if (to === null && choices[0]) setTo(choices[0].number);
  }, [to, choices, setTo]);
  const diff = useQuery({ ...trpc.releases.diff.queryOptions({ project, env: env.name, from: live.number, to: to ?? 0 }), enabled: to !== null });
  if (list.isError) return <ErrorBox title={`Could not read the releases of ${env.name}`} error={list.error} />;
  if (!list.data) return <Loading />;
  if (choices.length === 0) return <p data-testid="rollback-none">{env.name} has no earlier release that served: there is nothing to roll back to.</p>;
  return (
    <div className="pipeline-plan" data-testid="rollback-plan">
      <div className="field">
        <label htmlFor={`rollback-to-${env.name}`}>Roll back to</label>
        <select id={`rollback-to-${env.name}`} value={to ?? ""} onChange={(e) => setTo(Number(e.target.value))} data-testid="rollback-target">
          {choices.map((r) => (
            <option key={r.number} value={r.number}>
              v{r.number} · {r.reason} · {r.sha ? shortSha(r.sha) : "no commit"} · {r.createdByName}
            </option>
          ))}
        </select>
      </div>
      <p>
        A new release of {env.name} is made from v{to}&apos;s images and config, and deployed the same way as any other: v{live.number} serves until it is healthy.
      </p>
      {diff.isError ? (
        <ErrorBox title="Could not compare the releases" error={diff.error} />
      ) : !diff.data ? (
        <Loading label="Comparing…" />
      ) : (
        <>
          <ImageDiff changes={diff.data.images} fromLabel={`now (v${live.number})`} toLabel={`after (v${to})`} />
          <ConfigDiff changes={diff.data.config} />
          {diff.data.releaseCommand && (
            <p data-testid="diff-release-command">
              Release command: <code>{diff.data.releaseCommand.from ?? "none"}</code> → <code>{diff.data.releaseCommand.to ?? "none"}</code>
            </p>
          )}
        </>
      )}
    </div>
  );
}

/** A key that changes with the change asked for: the dialog is mounted afresh for each (its choice and result start empty). */
export const changeKey = (c: Change): string => (c.kind === "promote" ? `promote:${c.from.name}:${c.to.name}` : `rollback:${c.env.name}:${c.to ?? ""}`);

/** Promote or roll back, after the user has seen exactly what changes; then what happened. */
export function ChangeDialog({ project, change, onClose, onDone }: { project: string; change: Change; onClose: () => void; onDone: () => void }) {
  const trpc = useTRPC();
  const [to, setTo] = useState<number | null>(change.kind === "rollback" ? (change.to ?? null) : null);
  const [done, setDone] = useState<Done | null>(null);
  const promote = useMutation(trpc.releases.promote.mutationOptions({ onSuccess: (d) => setDone(d), onSettled: onDone }));
  const rollback = useMutation(trpc.releases.rollback.mutationOptions({ onSuccess: (d) => setDone(d), onSettled: onDone }));
  const target = change.kind === "promote" ? change.to.name : change.env.name;
  const running = promote.isPending || rollback.isPending;
  const error = promote.error ?? rollback.error;
  const title = change.kind === "promote" ? `Promote ${change.from.name} to ${change.to.name}` : `Roll back ${change.env.name}`;
  const confirm = () => {
    // The release this dialog showed: refused if the source moved on meanwhile (review the new one first).
    if (change.kind === "promote") promote.mutate({ project, from: change.from.name, to: change.to.name, ...(change.from.live ? { release: change.from.live.number } : {}) });
    else if (to !== null) rollback.mutate({ project, env: change.env.name, to });
  };
  return (
    <Dialog open onOpenChange={(o) => !o && !running && onClose()} title={title} wide data-testid="change-dialog">
      {done ? (
        <div className="pipeline-plan" data-testid="change-done" data-ok={done.ok ? "true" : "false"}>
          {done.ok ? (
            <p>
              <strong>
                {target} v{done.number} is live
              </strong>
              {done.url && (
                <>
                  {" "}
                  at{" "}
                  <a href={done.url} target="_blank" rel="noreferrer">
                    {done.url}
                  </a>
                </>
              )}
              .
            </p>
          ) : null}
          {done.ok && done.copiedTo && (
            <ul className="mono small" data-testid="change-copied">
              {Object.entries(done.copiedTo).map(([svc, at]) => (
                <li key={svc}>
                  {svc} → {at}
                </li>
              ))}
            </ul>
          )}
          {done.ok ? null : (
            <ErrorBox title={`${target} v${done.number} failed; the release before it still serves`} error={done.error ?? "the deploy failed (see its output)"} />
          )}
          {done.lines.length > 0 && (
            <pre className="output pipeline-output" tabIndex={0} aria-label="What the deploy did">
              {done.lines.join("\n")}
            </pre>
          )}
          <div className="dialog-actions">
            <Button variant="primary" onClick={onClose} data-testid="change-close">
              Done
            </Button>
          </div>
        </div>
      ) : (
        <>
          {change.kind === "promote" ? <PromotePlan project={project} from={change.from} to={change.to} /> : <RollbackPlan project={project} env={change.env} to={to} setTo={setTo} />}
          {running && (
            <p role="status" className="muted">
              Deploying {target}: starting the new release beside the old one, then waiting for its health check before traffic moves…
            </p>
          )}
          {error && <ErrorBox title={change.kind === "promote" ? "The promotion failed" : "The rollback failed"} error={error} />}
          <div className="dialog-actions">
            <Button onClick={onClose} disabled={running}>
              Cancel
            </Button>
            <Button variant={change.kind === "promote" ? "primary" : "danger"} busy={running} disabled={change.kind === "rollback" && to === null} onClick={confirm} data-testid="change-confirm">
              {change.kind === "promote" ? `Promote to ${change.to.name}` : to !== null ? `Roll back to v${to}` : "Roll back"}
            </Button>
          </div>
        </>
      )}
    </Dialog>
  );
}
