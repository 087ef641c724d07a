"use client";
import { useQuery } from "@tanstack/react-query";
import { ArrowRight, ExternalLink, History, RotateCcw } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { formatAgo } from "../../lib/format";
import { Badge, Button, CodeBlock, StatusDot } from "../ui";
import { ImageList } from "./Digest";
import { describeHealth } from "./health";
import { releaseDot, shortSha } from "./format";
import type { EnvironmentRow, ReleaseSummary } from "./types";

export interface EnvironmentCardProps {
  project: string;
  env: EnvironmentRow;
  prev: EnvironmentRow | null;
  next: EnvironmentRow | null;
  /** The project's git remote as this browser reaches it (for the "push to deploy" hint). */
  remote: string;
  selected: boolean;
  onSelect: () => void;
  /** Absent: the role may not (the button is not shown). */
  onPromote?: () => void;
  onRollback?: () => void;
}

/** The URL as people say it: no scheme, no trailing slash. */
const hostOf = (url: string) => url.replace(/^https?:\/\//, "").replace(/\/$/, "");

function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {formatAgo(iso)}
    </time>
  );
}

/** What made a release, in one line: who, why, when. */
function Provenance({ r }: { r: ReleaseSummary }) {
  return (
    <>
      <strong>{r.createdByName}</strong> · {r.reason} · <When iso={r.deployedAt ?? r.createdAt} />
    </>
  );
}

/** The newest release when it is not the live one: deploying now, or failed (the live one still serves). */
function LastAttempt({ last, live }: { last: ReleaseSummary; live: ReleaseSummary | null }) {
  if (live && last.number === live.number) return null;
  if (last.state === "failed" || last.state === "rolled-back") {
    return (
      <div className="pipeline-note pipeline-note-bad" role="status" data-testid="env-last" data-state={last.state}>
        <strong>
          v{last.number} {last.state === "failed" ? "failed" : "was rolled back"}
        </strong>
        {last.error && <span>: {last.error}</span>}
        {live && <span className="muted"> v{live.number} still serves.</span>}
      </div>
    );
  }
  if (last.state === "pending" || last.state === "deploying") {
    return (
      <div className="pipeline-note" role="status" data-testid="env-last" data-state={last.state}>
        <StatusDot state="building" label={`v${last.number} ${last.state}…`} /> <span className="muted">{last.reason}</span>
      </div>
    );
  }
  return null;
}

/** One environment of the pipeline: what serves there now and how it got there, its URL, and its actions. */
export function EnvironmentCard({ project, env, prev, next, remote, selected, onSelect, onPromote, onRollback }: EnvironmentCardProps) {
  const trpc = useTRPC();
  const live = env.live;
  const detail = useQuery({ ...trpc.releases.show.queryOptions({ project, env: env.name, number: live?.number ?? 0 }), enabled: live !== null, staleTime: 60_000 });
  const headingId = `env-${env.name}`;
  return (
    <section className={selected ? "pipeline-stage selected" : "pipeline-stage"} aria-labelledby={headingId} data-testid="env" data-env={env.name} data-live={live?.number ?? ""}>
      <header className="pipeline-stage-head">
        <h2 id={headingId}>{env.name}</h2>
        {env.branch ? <Badge tone="info" title={`A push to ${env.branch} deploys ${env.name}`}>follows {env.branch}</Badge> : <Badge title={`Only a promotion or a rollback deploys ${env.name}`}>promotion only</Badge>}
      </header>
      <div className="pipeline-urls">
        {env.registry ? (
          // Runs elsewhere: Berth copies its releases to this registry (by digest, verified) and does not serve it.
          <span className="pipeline-url mono" data-testid="env-registry" title={`${env.name} runs elsewhere: each release is copied to ${env.registry.repository}, by digest, and read back`}>
            runs elsewhere · {env.registry.repository}
          </span>
        ) : live ? (
          <a href={env.url} target="_blank" rel="noreferrer" className="pipeline-url" data-testid="env-url">
            <ExternalLink size={13} aria-hidden="true" />
            {hostOf(env.url)}
          </a>
        ) : (
          // Nothing answers there yet: a link would lead to an error page. The box below says so, once, and how to deploy.
          <span className="pipeline-url idle" data-testid="env-url" data-deployed="false" title={`Nothing answers here until ${env.name}'s first deploy`}>
            {hostOf(env.url)}
          </span>
        )}
        {env.domains.map((d) =>
          live ? (
            <a key={d} href={`https://${d}/`} target="_blank" rel="noreferrer" className="pipeline-url" data-testid="env-domain">
              <ExternalLink size={13} aria-hidden="true" />
              {d}
            </a>
          ) : (
            <span key={d} className="pipeline-url idle" data-testid="env-domain" data-deployed="false" title={`Nothing answers here until ${env.name}'s first deploy`}>
              {d}
            </span>
          ),
        )}
      </div>

      {live ? (
        <div className="pipeline-live" data-testid="env-live">
          <div className="pipeline-release">
            <span className="pipeline-number" aria-label={`Release ${live.number}`}>
              v{live.number}
            </span>
            <StatusDot state={releaseDot(live.state)} label={live.state} />
            <span className="muted small">
              {env.replicas} {env.replicas === 1 ? "replica" : "replicas"}
            </span>
          </div>
          <ImageList images={live.images} />
          <dl className="pipeline-facts">
            <dt>Health</dt>
            <dd data-testid="env-health">{detail.data ? describeHealth(detail.data.health) : detail.isError ? <span className="error">unknown: {detail.error.message}</span> : "…"}</dd>
            <dt>By</dt>
            <dd>
              <Provenance r={live} />
            </dd>
            <dt>Commit</dt>
            <dd className="mono" title={live.sha ?? undefined}>
              {live.sha ? shortSha(live.sha) : <span className="muted">none recorded</span>}
              {live.source && <span className="muted"> · from {live.source}</span>}
            </dd>
            <dt>Config</dt>
            <dd>
              version {live.configVersion}
              {env.configVersion > live.configVersion && (
                <span className="pipeline-pending" data-testid="env-config-pending">
                  {" "}
                  · version {env.configVersion} waits for the next release
                </span>
              )}
            </dd>
          </dl>
        </div>
      ) : (
        <div className="pipeline-empty" data-testid="env-empty">
          <p className="empty-title">Nothing deployed yet</p>
          {env.branch ? (
            <>
              <p className="muted">
                Push to {env.branch} to deploy {env.name}.
              </p>
              <CodeBlock code={`git push ${remote} ${env.branch}`} inline codeLabel={`Command to deploy ${env.name}`} />
            </>
          ) : prev ? (
            <>
              <p className="muted">
                Promote {prev.name} to deploy {env.name}: its images run here with {env.name}&apos;s own config.
              </p>
              <CodeBlock code={`berth promote ${project} --from ${prev.name} --to ${env.name}`} inline codeLabel={`Command to deploy ${env.name}`} />
            </>
          ) : (
            <p className="muted">Only a promotion deploys {env.name}; no environment comes before it.</p>
          )}
        </div>
      )}
      {env.last && <LastAttempt last={env.last} live={live} />}

      <div className="pipeline-actions">
        {onPromote && next && live && (
          <Button variant="primary" size="sm" icon={<ArrowRight size={14} />} onClick={onPromote} data-testid="env-promote">
            Promote to {next.name}
          </Button>
        )}
        {onRollback && live && live.number > 1 && (
          <Button size="sm" icon={<RotateCcw size={14} />} onClick={onRollback} data-testid="env-rollback">
            Roll back
          </Button>
        )}
        <Button size="sm" variant="ghost" icon={<History size={14} />} onClick={onSelect} aria-pressed={selected} data-testid="env-select">
          History and config
        </Button>
      </div>
    </section>
  );
}
