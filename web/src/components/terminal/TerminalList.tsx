"use client";
import { useEffect, useState } from "react";
import { kindOf, listTerminals, paths, type RecordingInfo, type TerminalSessionInfo } from "./client";
import styles from "./terminal.module.css";

const REFRESH_MS = 5_000;
const when = (iso: string) => new Date(iso).toLocaleString();
const size = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);
const duration = (a: string, b?: string) => {
  if (!b) return "in progress";
  const s = Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

/** `/t/[team]/terminals`: the team's terminal sessions (running and recently ended) and recordings. */
export function TerminalList({ team }: { team: string }) {
  const [data, setData] = useState<{ sessions: TerminalSessionInfo[]; recordings: RecordingInfo[] } | null>(null);
  const [error, setError] = useState<{ message: string; kind?: string } | null>(null);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      listTerminals(team).then(
        (d) => {
          if (!live) return;
          setData(d);
          setError(null);
          timer = setTimeout(load, REFRESH_MS);
        },
        (e: unknown) => {
          if (!live) return;
          setError({ message: (e as Error).message, kind: kindOf(e) });
          // A refusal stays a refusal; anything else is tried again.
          if (kindOf(e) !== "PermissionDenied") timer = setTimeout(load, REFRESH_MS);
        },
      );
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [team]);

  return (
    <div className={styles.page}>
      <h1>Terminals</h1>
      {error ? (
        <div className={styles.error} role="alert" data-testid="terminal-error" data-kind={error.kind ?? ""}>
          {error.kind === "PermissionDenied" ? "Your role in this team cannot use terminals: viewers can read logs and stats. Ask a team admin for the member role." : `Could not list the terminals: ${error.message}`}
        </div>
      ) : null}
      {!data && !error ? <p aria-live="polite">Loading…</p> : null}
      {data ? (
        <>
          <section aria-labelledby="sessions-h">
            <h2 id="sessions-h">Sessions</h2>
            {data.sessions.length === 0 ? (
              <p className={styles.empty} data-testid="terminals-empty">
                No terminal sessions. Open one from a running container&apos;s Terminal tab (<code>/t/{team}/containers/NAME/terminal</code>); teammates join it by its link, or from the CLI with{" "}
                <code>berth terminal attach ID</code>.
              </p>
            ) : (
              <table className={styles.table} data-testid="terminal-sessions">
                <thead>
                  <tr>
                    <th scope="col">Session</th>
                    <th scope="col">Container</th>
                    <th scope="col">Started by</th>
                    <th scope="col">Started</th>
                    <th scope="col">Status</th>
                    <th scope="col">In it</th>
                  </tr>
                </thead>
                <tbody>
                  {data.sessions.map((s) => (
                    <tr key={s.id} data-testid="terminal-session-row" data-id={s.id} data-status={s.status}>
                      <td>
                        <a href={paths.session(team, s.id)}>{s.id}</a>
                      </td>
                      <td>{s.containerName}</td>
                      <td>{s.startedBy}</td>
                      <td>{when(s.startedAt)}</td>
                      <td>{s.status === "running" ? (s.recording ? "running · recording" : "running") : `${s.status} (exit ${s.exitCode ?? "?"})`}</td>
                      <td>{s.participants.map((p) => `${p.user}${p.driver ? " (driving)" : ""}`).join(", ") || "nobody"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="recordings-h">
            <h2 id="recordings-h">Recordings</h2>
            {data.recordings.length === 0 ? (
              <p className={styles.empty} data-testid="recordings-empty">
                No recordings. The driver of a session starts one with its Record button; it is saved as asciicast v2, so <code>asciinema play</code> plays it too.
              </p>
            ) : (
              <table className={styles.table} data-testid="terminal-recordings">
                <thead>
                  <tr>
                    <th scope="col">Recording</th>
                    <th scope="col">Container</th>
                    <th scope="col">By</th>
                    <th scope="col">Started</th>
                    <th scope="col">Length</th>
                    <th scope="col">Size</th>
                  </tr>
                </thead>
                <tbody>
                  {data.recordings.map((r) => (
                    <tr key={r.id} data-testid="terminal-recording-row" data-id={r.id}>
                      <td>
                        <a href={paths.replay(team, r.id)}>Replay {r.id}</a>
                      </td>
                      <td>{r.containerName}</td>
                      <td>{r.startedBy}</td>
                      <td>{when(r.startedAt)}</td>
                      <td>{duration(r.startedAt, r.endedAt)}</td>
                      <td>{size(r.bytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      ) : null}
    </div>
  );
}
