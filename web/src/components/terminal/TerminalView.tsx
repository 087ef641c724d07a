"use client";
import "@xterm/xterm/css/xterm.css";
import { useCallback, useEffect, useRef, useState } from "react";
import type { Terminal } from "@xterm/xterm";
import type { Socket } from "socket.io-client";
import { teamClient } from "./api";
import { connectTeamSocket, EV, kindOf, paths, request, type TerminalState } from "./client";
import styles from "./terminal.module.css";

export interface TerminalViewProps {
  team: string;
  /** Open a new session in this container… */
  container?: string;
  /** …or join this session. */
  join?: string;
  /** The session's id once known (the page makes it the URL). */
  onSession?: (id: string) => void;
}

type Phase = "connecting" | "live" | "ended";

/**
 * One shared terminal in the page: xterm.js showing the session's screen (the scrollback first,
 * then live), who is in it and who drives, the wheel (take control / hand over), recording, and
 * what happened when it ended ("container stopped (exit N)" with Restart and Open logs).
 * Only the driver's keys and size reach the pty; a watcher's terminal takes the driver's size.
 */
export function TerminalView({ team, container, join, onSession }: TerminalViewProps) {
  const host = useRef<HTMLDivElement>(null);
  const socketRef = useRef<Socket | null>(null);
  const linkRef = useRef<string | null>(null);
  const stateRef = useRef<TerminalState | null>(null);
  const idRef = useRef<string | undefined>(join);
  const [state, setState] = useState<TerminalState | null>(null);
  const [phase, setPhase] = useState<Phase>("connecting");
  const [error, setError] = useState<{ message: string; kind?: string } | null>(null);
  const [asked, setAsked] = useState(false);
  const [restarting, setRestarting] = useState(false);
  const onSessionRef = useRef(onSession);
  onSessionRef.current = onSession;

  const me = state?.participants.find((p) => p.id === state.you);
  const driving = !!me?.driver;

  useEffect(() => {
    let disposed = false;
    let term: Terminal | undefined;
    let observer: ResizeObserver | undefined;
    const socket = connectTeamSocket(team);
    socketRef.current = socket;
    void (async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]);
      if (disposed || !host.current) return;
      // A steady cursor: xterm's blink is a CSS animation of the cursor's colours, which Chromium
      // runs on the main thread every frame while the terminal has focus; that constant repaint
      // delayed each echoed key by about a frame (bench/terminal.mjs) and kept the CPU busy while idle.
      const t = new Terminal({ cursorBlink: false, fontSize: 14, fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", scrollback: 5000, allowProposedApi: false });
      term = t;
      const fit = new FitAddon();
      t.loadAddon(fit);
      t.open(host.current);
      fit.fit();
      const isDriver = () => !!stateRef.current?.participants.find((p) => p.id === stateRef.current?.you)?.driver;
      const enc = new TextEncoder();
      t.onData((d) => {
        if (linkRef.current && isDriver()) socket.emit(EV.stdin, { session: linkRef.current, data: enc.encode(d) });
      });
      t.onResize(({ cols, rows }) => {
        if (linkRef.current && isDriver()) socket.emit(EV.resize, { session: linkRef.current, cols, rows });
      });
      observer = new ResizeObserver(() => {
        if (isDriver()) fit.fit();
      });
      observer.observe(host.current);

      // What arrives between the server's start of our link and its acknowledgement waits here.
      let early: { kind: "data" | "state"; m: { session: string } }[] | null = null;
      const onData = (m: { session: string; data: ArrayBuffer }) => {
        if (early) early.push({ kind: "data", m });
        else if (m.session === linkRef.current) t.write(new Uint8Array(m.data));
      };
      const onState = (m: TerminalState) => {
        if (early) return void early.push({ kind: "state", m });
        if (m.session !== linkRef.current) return;
        const first = !stateRef.current;
        stateRef.current = m;
        setState(m);
        if (first) {
          idRef.current = m.id;
          onSessionRef.current?.(m.id);
        }
        const drives = !!m.participants.find((p) => p.id === m.you)?.driver;
        if (drives) {
          fit.fit();
          // The pty follows the driver: tell it this terminal's size when the wheel arrives.
          if ((t.cols !== m.cols || t.rows !== m.rows) && m.status === "running") socket.emit(EV.resize, { session: m.session, cols: t.cols, rows: t.rows });
          setAsked(false);
        } else if (t.cols !== m.cols || t.rows !== m.rows) {
          t.resize(m.cols, m.rows);
        }
        if (m.status !== "running") setPhase("ended");
      };
      socket.on(EV.data, onData);
      socket.on(EV.state, onState);
      socket.on(EV.exit, (m: { session: string; exitCode: number | null; error?: string }) => {
        if (m.session !== linkRef.current) return;
        setPhase("ended");
        if (!stateRef.current || stateRef.current.status === "running") setError({ message: m.error ?? `session ended (exit ${m.exitCode ?? "unknown"})` });
      });
      const start = async () => {
        setError(null);
        const size = { cols: t.cols, rows: t.rows };
        try {
          // After a reconnect the scrollback comes again: start from a clean screen.
          if (stateRef.current) t.reset();
          stateRef.current = null;
          linkRef.current = null;
          early = [];
          const ack = await request<{ session: string }>(socket, idRef.current ? EV.join : EV.open, idRef.current ? { id: idRef.current, ...size } : { containerId: container, ...size });
          linkRef.current = ack.session;
          const queued = early ?? [];
          early = null;
          for (const q of queued) (q.kind === "data" ? onData : onState)(q.m as never);
          setPhase("live");
          t.focus();
        } catch (e) {
          early = null;
          setError({ message: (e as Error).message, kind: kindOf(e) });
          setPhase("ended");
        }
      };
      socket.on("connect", () => void start());
      socket.on("connect_error", (e: Error) => {
        if (/unauthori[sz]ed/i.test(e.message)) {
          setError({ message: "You are not signed in: sign in, then come back to this link.", kind: "Unauthenticated" });
          setPhase("ended");
          socket.disconnect();
        }
      });
      if (socket.connected) void start();
    })();
    return () => {
      disposed = true;
      observer?.disconnect();
      socket.disconnect();
      term?.dispose();
    };
  }, [team, container]);

  const control = useCallback((op: "handover" | "request" | "record", extra: { to?: string; on?: boolean } = {}) => {
    if (linkRef.current) socketRef.current?.emit(EV.control, { session: linkRef.current, op, ...extra });
  }, []);

  const restart = async () => {
    if (!state) return;
    setRestarting(true);
    try {
      await teamClient(team).container.start.mutate({ id: state.containerId });
      window.location.assign(paths.containerTerminal(team, state.containerName));
    } catch (e) {
      setError({ message: `restart failed: ${(e as Error).message}` });
      setRestarting(false);
    }
  };

  const status = error ? "error" : (state?.status ?? (phase === "connecting" ? "connecting" : "running"));
  const driver = state?.participants.find((p) => p.driver);
  const requesters = state?.participants.filter((p) => state.requests.includes(p.id)) ?? [];
  const others = state?.participants.filter((p) => p.id !== state.you) ?? [];

  return (
    <section
      className={styles.view}
      data-testid="terminal-view"
      data-status={status}
      data-role={state ? (driving ? "driver" : "watcher") : "none"}
      data-session-id={state?.id ?? ""}
      data-cols={state?.cols ?? ""}
      data-rows={state?.rows ?? ""}
      aria-label="Terminal session"
    >
      <div className={styles.toolbar}>
        <ul className={styles.participants} aria-label="Participants" data-testid="terminal-participants">
          {state?.participants.map((p) => (
            <li key={p.id} className={p.driver ? styles.driver : styles.watcher} data-testid="terminal-participant" data-user={p.user} data-driver={p.driver ? "true" : "false"}>
              {p.user}
              {p.id === state.you ? " (you)" : ""}
              {p.driver ? " · driving" : " · watching"}
              {p.via === "cli" ? " · CLI" : ""}
            </li>
          ))}
        </ul>
        <div className={styles.actions}>
          {state?.recording && state.status === "running" ? (
            <span className={styles.rec} data-testid="terminal-recording">
              ● Recording
            </span>
          ) : null}
          {state?.status === "running" && driving ? (
            <>
              <button type="button" className={styles.button} data-testid="terminal-record" onClick={() => control("record", { on: !state.recording })}>
                {state.recording ? "Stop recording" : "Record"}
              </button>
              {others.map((p) => (
                <button key={p.id} type="button" className={styles.button} data-testid="terminal-handover" data-to={p.user} onClick={() => control("handover", { to: p.id })}>
                  Hand over to {p.user}
                </button>
              ))}
            </>
          ) : null}
          {state?.status === "running" && !driving ? (
            <button type="button" className={styles.primary} data-testid="terminal-take-control" disabled={asked} onClick={() => (control("request"), setAsked(true))}>
              {asked ? `Asked ${driver?.user ?? "the driver"} for control…` : "Take control"}
            </button>
          ) : null}
        </div>
      </div>
      {driving && requesters.length > 0 ? (
        <div className={styles.notice} role="status" data-testid="terminal-requests">
          {requesters.map((p) => (
            <span key={p.id}>
              {p.user} asks for control.{" "}
              <button type="button" className={styles.primary} data-testid="terminal-grant" data-to={p.user} onClick={() => control("handover", { to: p.id })}>
                Hand over to {p.user}
              </button>
            </span>
          ))}
        </div>
      ) : null}
      {state?.status === "running" && !driving ? (
        <p className={styles.hint} data-testid="terminal-watching">
          You are watching{driver ? `: ${driver.user} drives` : ""}. Your keys reach the terminal once you have control.
        </p>
      ) : null}
      {state && state.status !== "running" ? (
        <div className={styles.stopped} role="alert" data-testid="terminal-stopped" data-exit-code={state.exitCode ?? ""}>
          <strong>{state.message}</strong>
          {state.status === "stopped" ? (
            <>
              <button type="button" className={styles.primary} data-testid="terminal-restart" disabled={restarting} onClick={() => void restart()}>
                {restarting ? "Restarting…" : "Restart container"}
              </button>
              <a className={styles.button} data-testid="terminal-open-logs" href={paths.containerLogs(team, state.containerName)}>
                Open logs
              </a>
            </>
          ) : (
            <a className={styles.button} href={paths.containerTerminal(team, state.containerName)}>
              New session
            </a>
          )}
          <a className={styles.button} href={paths.terminals(team)}>
            All terminals
          </a>
        </div>
      ) : null}
      {error ? (
        <div className={styles.error} role="alert" data-testid="terminal-error" data-kind={error.kind ?? ""}>
          {error.kind === "PermissionDenied" ? "Your role in this team cannot use terminals (viewers can read logs and stats). Ask a team admin for the member role." : error.message}
        </div>
      ) : null}
      {/* Refused before anything was shown (a viewer, a session that is gone): no empty black box. */}
      <div className={styles.screen} ref={host} data-testid="terminal-screen" hidden={!!error && !state} />
    </section>
  );
}
