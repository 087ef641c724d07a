"use client";
import { useEffect, useState } from "react";
import { kindOf, listTerminals, paths, type TerminalSessionInfo } from "./client";
import { TerminalView } from "./TerminalView";
import styles from "./terminal.module.css";

/**
 * A container's Terminal tab: joins are offered for the sessions already running in it, else a
 * new session opens at once; once the session has an id the address becomes its shareable
 * `/t/[team]/terminals/[id]` (without leaving the page, so the terminal stays connected).
 */
export function ContainerTerminal({ team, name }: { team: string; name: string }) {
  const [running, setRunning] = useState<TerminalSessionInfo[] | null>(null);
  const [error, setError] = useState<{ message: string; kind?: string } | null>(null);
  const [opening, setOpening] = useState(false);

  useEffect(() => {
    let live = true;
    listTerminals(team).then(
      ({ sessions }) => {
        if (!live) return;
        const mine = sessions.filter((s) => s.containerName === name && s.status === "running");
        setRunning(mine);
        if (mine.length === 0) setOpening(true);
      },
      (e: unknown) => live && setError({ message: (e as Error).message, kind: kindOf(e) }),
    );
    return () => {
      live = false;
    };
  }, [team, name]);

  return (
    <div className={styles.page}>
      <nav className={styles.crumbs} aria-label="Breadcrumbs">
        <a href={`/t/${encodeURIComponent(team)}/containers/${encodeURIComponent(name)}`}>{name}</a>
        <span aria-hidden="true">/</span>
        <a href={paths.terminals(team)}>Terminals</a>
      </nav>
      <h1>Terminal in {name}</h1>
      {error ? (
        <div className={styles.error} role="alert" data-testid="terminal-error" data-kind={error.kind ?? ""}>
          {error.kind === "PermissionDenied"
            ? "Your role in this team cannot use terminals: viewers can read logs and stats. Ask a team admin for the member role."
            : error.kind === "Unauthenticated" || /unauthori/i.test(error.message)
              ? "You are not signed in: sign in, then come back to this page."
              : error.message}
        </div>
      ) : null}
      {!opening && running && running.length > 0 ? (
        <div className={styles.notice} data-testid="terminal-running-sessions">
          <span>
            {running.length === 1 ? "A session is running in this container:" : `${running.length} sessions are running in this container:`}
          </span>
          {running.map((s) => (
            <a key={s.id} className={styles.button} href={paths.session(team, s.id)} data-testid="terminal-join-link">
              Join {s.startedBy}&apos;s session ({s.participants.find((p) => p.driver)?.user ?? "nobody"} drives)
            </a>
          ))}
          <button type="button" className={styles.primary} data-testid="terminal-new-session" onClick={() => setOpening(true)}>
            New session
          </button>
        </div>
      ) : null}
      {opening ? <TerminalView team={team} container={name} onSession={(id) => window.history.replaceState(null, "", paths.session(team, id))} /> : null}
    </div>
  );
}
