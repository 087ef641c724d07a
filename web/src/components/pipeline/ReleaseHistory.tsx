"use client";
import { useQuery } from "@tanstack/react-query";
import { RotateCcw } from "lucide-react";
import { useTRPC } from "../../lib/query";
import { formatAgo } from "../../lib/format";
import { Button, Card, EmptyState, ErrorBox, Loading, StatusDot, Table } from "../ui";
import { Digest } from "./Digest";
import { canRollBackTo, releaseDot, shortSha } from "./format";
import type { EnvironmentRow } from "./types";

/** An environment's releases, newest first: what each ran, why, who made it; members roll back to one. */
export function ReleaseHistory({ project, env, pollMs, onRollback }: { project: string; env: EnvironmentRow; pollMs: number; onRollback?: (to: number) => void }) {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.releases.list.queryOptions({ project, env: env.name, limit: 50 }), refetchInterval: pollMs });
  const live = env.live?.number ?? null;
  return (
    <Card title={`Releases of ${env.name}`} data-testid="release-history">
      {list.isError ? (
        <ErrorBox title={`Could not read the releases of ${env.name}`} error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <EmptyState title={`${env.name} has no release yet`} data-testid="history-empty">
          {env.branch ? `A push to ${env.branch} makes its first release.` : "A promotion makes its first release."}
        </EmptyState>
      ) : (
        <Table caption={`Releases of ${env.name}, newest first`}>
          <thead>
            <tr>
              <th scope="col">Release</th>
              <th scope="col">State</th>
              <th scope="col">Images</th>
              <th scope="col">Commit</th>
              <th scope="col">Why</th>
              <th scope="col">By</th>
              <th scope="col">When</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((r) => (
              <tr key={r.number} data-testid="release-row" data-number={r.number} data-state={r.state}>
                <td className="mono nowrap">
                  <strong>v{r.number}</strong>
                </td>
                <td className="wrap">
                  <StatusDot state={releaseDot(r.state)} label={r.state} />
                  {r.error && (
                    <div className="muted small" data-testid="release-error">
                      {r.error}
                    </div>
                  )}
                </td>
                <td>
                  <ul className="pipeline-images compact">
                    {Object.entries(r.images)
                      .sort(([a], [b]) => a.localeCompare(b))
                      .map(([service, digest]) => (
                        <li key={service}>
                          <span className="pipeline-service">{service}</span>
                          <Digest digest={digest} service={service} />
                        </li>
                      ))}
                  </ul>
                </td>
                <td className="mono nowrap" title={r.sha ?? undefined}>
                  {shortSha(r.sha) || <span className="muted">–</span>}
                </td>
                <td className="pipeline-why">{r.reason}</td>
                <td className="nowrap">{r.createdByName}</td>
                <td className="nowrap">
                  <time dateTime={r.createdAt} title={new Date(r.createdAt).toLocaleString()}>
                    {formatAgo(r.createdAt)}
                  </time>
                </td>
                <td className="actions">
                  {onRollback && canRollBackTo(r, live) && (
                    <Button size="sm" variant="ghost" icon={<RotateCcw size={14} />} onClick={() => onRollback(r.number)} data-testid="release-rollback">
                      Roll back to v{r.number}
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}
