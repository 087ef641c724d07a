"use client";
import "asciinema-player/dist/bundle/asciinema-player.css";
import { useEffect, useRef, useState } from "react";
import { fetchRecording, kindOf, listTerminals, paths, type RecordingInfo } from "./client";
import styles from "./terminal.module.css";

/**
 * `/t/[team]/terminals/[id]/replay`: a recording in asciinema-player. `id` is a recording id
 * (SESSION-N) or a session id (its latest recording).
 */
export function Replay({ team, id }: { team: string; id: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [info, setInfo] = useState<RecordingInfo | null>(null);
  const [error, setError] = useState<{ message: string; kind?: string } | null>(null);

  useEffect(() => {
    let disposed = false;
    let player: { dispose(): void } | undefined;
    void (async () => {
      try {
        let recId = id;
        if (!id.includes("-")) {
          const { recordings } = await listTerminals(team);
          const latest = recordings.find((r) => r.sessionId === id);
          if (!latest) throw Object.assign(new Error(`session ${id} has no recording`), { kind: "NotFound" });
          recId = latest.id;
        }
        const [{ info: i, cast }, AsciinemaPlayer] = await Promise.all([fetchRecording(team, recId), import("asciinema-player")]);
        if (disposed || !host.current) return;
        setInfo(i);
        player = AsciinemaPlayer.create({ data: cast }, host.current, { fit: "width", autoPlay: true, idleTimeLimit: 2 });
      } catch (e) {
        if (!disposed) setError({ message: (e as Error).message, kind: kindOf(e) });
      }
    })();
    return () => {
      disposed = true;
      player?.dispose();
    };
  }, [team, id]);

  return (
    <div className={styles.page}>
      <nav className={styles.crumbs} aria-label="Breadcrumbs">
        <a href={paths.terminals(team)}>Terminals</a>
        <span aria-hidden="true">/</span>
        <span>Replay</span>
      </nav>
      <h1>Recording {info ? `of ${info.containerName} by ${info.startedBy}` : id}</h1>
      {info ? (
        <p>
          Recorded {new Date(info.startedAt).toLocaleString()}. Saved as asciicast v2: <code>asciinema play {info.id}.cast</code> plays the file too.
        </p>
      ) : null}
      {error ? (
        <div className={styles.error} role="alert" data-testid="terminal-error" data-kind={error.kind ?? ""}>
          {error.kind === "PermissionDenied" ? "Your role in this team cannot use terminals or their recordings." : `Could not load the recording: ${error.message}`}
        </div>
      ) : null}
      <div className={styles.player} ref={host} data-testid="terminal-replay" />
    </div>
  );
}
