"use client";
import { useQuery } from "@tanstack/react-query";
import { errorCode, useTRPC } from "../../lib/query";
import { teamHref } from "../../lib/team";
import { ErrorBox, Loading } from "../ui";

/** Removed containers of the team whose logs are still kept, each linking to its log. */
export function RemovedLogsList({ team }: { team: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.logs.removed.queryOptions({ limit: 200 }));
  const data = q.data;
  return (
    <section className="removed-logs" aria-labelledby="removed-logs-title" data-testid="removed-logs">
      <h2 id="removed-logs-title">Removed containers with kept logs</h2>
      {q.isError ? (
        <ErrorBox title={errorCode(q.error) === "UNAUTHORIZED" ? "You are signed out: sign in to see them" : "Cannot list removed containers"} error={q.error} />
      ) : q.isPending ? (
        <Loading />
      ) : !data?.length ? (
        <p>None. When a container is removed (berth rm), its logs stay here until the retention (BERTH_LOG_RETENTION_HOURS, 24 hours by default) runs out.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Image</th>
              <th scope="col">Exit code</th>
              <th scope="col">Removed</th>
            </tr>
          </thead>
          <tbody>
            {data.map((r) => (
              <tr key={r.id}>
                <td>
                  <a href={teamHref(team, `/containers/${r.id}/logs`)}>{r.name}</a>
                </td>
                <td>{r.image}</td>
                <td>{r.exitCode ?? "—"}</td>
                <td>
                  <time dateTime={new Date(r.removedAt).toISOString()}>{new Date(r.removedAt).toLocaleString()}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
