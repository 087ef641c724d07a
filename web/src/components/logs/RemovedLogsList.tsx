"use client";
import { describeError, teamTrpc, usePoll } from "../stats/team-trpc";

/** Removed containers of the team whose logs are still kept, each linking to its log. */
export function RemovedLogsList({ team }: { team: string }) {
  const { data, error, loading } = usePoll(() => teamTrpc(team).logs.removed.query({ limit: 200 }), 0, [team]);
  return (
    <section className="removed-logs" aria-labelledby="removed-logs-title" data-testid="removed-logs">
      <h2 id="removed-logs-title">Removed containers with kept logs</h2>
      {error ? (
        <p role="alert">{describeError(error).signedOut ? "You are signed out: sign in to see them." : describeError(error).message}</p>
      ) : loading ? (
        <p>Loading…</p>
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
                  <a href={`/t/${encodeURIComponent(team)}/containers/${r.id}/logs`}>{r.name}</a>
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
