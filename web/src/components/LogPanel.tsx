"use client";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import type { Socket } from "socket.io-client";
import { SOCKET, type LogEntry, type LogsEntryMessage, type LogsErrorMessage } from "../lib/socket";

type Line = { stream: "stdout" | "stderr"; line: string };
type Exit = { exitCode: number | null; error?: string };

/** Follows one container's log stream over socket.io; lines are batched per animation frame. */
export function LogPanel({ socket, containerId, onExit }: { socket: Socket | null; containerId: string | null; onExit?: () => void }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [exit, setExit] = useState<Exit | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const onExitRef = useRef(onExit);
  onExitRef.current = onExit;

  useEffect(() => {
    setLines([]);
    setExit(null);
    setError(null);
    stick.current = true;
    if (!socket || !containerId) return;

    let pending: Line[] = [];
    let frame: number | null = null;
    const flush = () => {
      frame = null;
      const batch = pending;
      pending = [];
      if (batch.length) setLines((prev) => prev.concat(batch));
    };
    const onEntry = (msg: LogsEntryMessage) => {
      if (msg.id !== containerId) return;
      const e: LogEntry = msg.entry;
      if (e.stream === "exit") {
        flush();
        setExit({ exitCode: e.exitCode, ...(e.error ? { error: e.error } : {}) });
        onExitRef.current?.();
        return;
      }
      pending.push({ stream: e.stream, line: e.line });
      frame ??= requestAnimationFrame(flush);
    };
    const onError = (msg: LogsErrorMessage) => {
      if (msg.containerId !== containerId) return;
      setError(msg.message);
    };
    const subscribe = () => {
      // (Re)start from the beginning of the stream: it replays everything in order.
      pending = [];
      setLines([]);
      setExit(null);
      setError(null);
      socket.emit(SOCKET.logsSubscribe, { containerId, follow: true });
    };
    socket.on(SOCKET.logsEntry, onEntry);
    socket.on(SOCKET.logsError, onError);
    socket.on("connect", subscribe);
    if (socket.connected) subscribe();
    return () => {
      if (frame !== null) cancelAnimationFrame(frame);
      socket.off(SOCKET.logsEntry, onEntry);
      socket.off(SOCKET.logsError, onError);
      socket.off("connect", subscribe);
      if (socket.connected) socket.emit(SOCKET.logsUnsubscribe, { containerId });
    };
  }, [socket, containerId]);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines, exit]);

  if (!containerId) {
    return (
      <div className="logs empty" data-testid="log-panel">
        <span className="muted">Run a container, or pick one in the table, to see its output.</span>
      </div>
    );
  }
  return (
    <div>
      <div
        className="logs"
        data-testid="log-panel"
        ref={box}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {lines.map((l, i) => (
          <div key={i} className={`line ${l.stream}`} data-testid="log-line" data-stream={l.stream}>
            {l.line}
          </div>
        ))}
        {lines.length === 0 && !exit && !error && <div className="muted">Waiting for output…</div>}
      </div>
      <div className="logfoot">
        {error && <span className="error">{error}</span>}
        {exit ? (
          <span
            data-testid="exit-status"
            data-exit-code={exit.exitCode ?? ""}
            className={exit.exitCode === 0 && !exit.error ? "exit ok" : "exit bad"}
          >
            {exit.exitCode !== null ? `exited with code ${exit.exitCode}` : "failed"}
            {exit.error ? `: ${exit.error}` : ""}
          </span>
        ) : (
          !error && <span className="muted">running…</span>
        )}
      </div>
    </div>
  );
}
