"use client";
import { useEffect, useRef, useState } from "react";
import { useParams } from "next/navigation";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../lib/query";
import { teamHref, useTeamName } from "../../lib/team";
import { formatAgo } from "../../lib/format";
import { useLive } from "../shell/live";
import { Card, ErrorBox, KeyValues, Loading, PageHeader } from "../ui";
import { BuildActions } from "./BuildActions";
import { BuildStatusBadge } from "./status";
import { classify, failingStep, splitLines, type OutLine } from "./output";

type BuildEvent = { type: "out"; text: string } | { type: "end"; ok: true; id: string } | { type: "end"; ok: false; kind: string; message: string };

/** `/t/[team]/builds/[id]`: what was asked, the live output as the CLI prints it, and the outcome. */
export function BuildDetail() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const team = useTeamName();
  const { socket } = useLive();
  const build = useQuery(trpc.build.byId.queryOptions({ id }, { refetchInterval: (q) => (q.state.data && (q.state.data.status === "queued" || q.state.data.status === "running") ? 2_000 : false) }));
  const [lines, setLines] = useState<OutLine[]>([]);
  const [end, setEnd] = useState<Extract<BuildEvent, { type: "end" }> | null>(null);
  const [streamError, setStreamError] = useState<string | null>(null);
  const rest = useRef("");
  const box = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    if (!socket) return;
    setLines([]);
    setEnd(null);
    setStreamError(null);
    rest.current = "";
    const onEntry = (m: { buildId: string; entry: BuildEvent }) => {
      if (m.buildId !== id) return;
      if (m.entry.type === "out") {
        const { lines: add, rest: r } = splitLines(rest.current, m.entry.text);
        rest.current = r;
        if (add.length) setLines((cur) => [...cur, ...add.map((text) => ({ text, kind: classify(text) }))]);
      } else {
        if (rest.current) setLines((cur) => [...cur, { text: rest.current, kind: classify(rest.current) }]);
        rest.current = "";
        setEnd(m.entry);
        void qc.invalidateQueries({ queryKey: trpc.build.pathKey() });
      }
    };
    const onError = (m: { buildId: string; message: string }) => m.buildId === id && setStreamError(m.message);
    const subscribe = () => socket.emit("build:subscribe", { buildId: id });
    socket.on("build:entry", onEntry);
    socket.on("build:error", onError);
    if (socket.connected) subscribe();
    socket.on("connect", subscribe);
    return () => {
      socket.emit("build:unsubscribe", { buildId: id });
      socket.off("build:entry", onEntry);
      socket.off("build:error", onError);
      socket.off("connect", subscribe);
    };
  }, [socket, id, qc, trpc]);

  // Follows the output while the user stays at the bottom, as a terminal does.
  useEffect(() => {
    const el = box.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const b = build.data;
  const fail = end && !end.ok ? end : b?.error && b.status !== "succeeded" ? { ok: false as const, type: "end" as const, ...b.error } : null;
  const where = fail ? failingStep(lines, fail.message) : null;
  return (
    <>
      <PageHeader
        crumbs={[{ href: teamHref(team, "/builds"), label: "Builds" }]}
        title={<span className="mono">Build {id.slice(0, 8)}</span>}
        badge={b && <BuildStatusBadge status={b.status} />}
        subtitle={b && (b.tags.length ? `Tags ${b.tags.join(", ")}` : "No tags")}
        actions={b && <BuildActions b={b} />}
      />
      {build.isError && <ErrorBox title="Cannot read this build" error={build.error} onRetry={() => void build.refetch()} />}
      {fail && (
        <div className="errorbox" role="alert" data-testid="build-failure">
          <div className="errorbox-body">
            <p className="errorbox-title">{fail.kind === "Cancelled" ? "Cancelled" : where?.line ? `Failed at Dockerfile line ${where.line}` : "The build failed"}</p>
            {where?.step && fail.kind !== "Cancelled" && <pre className="failing-step mono">{where.step}</pre>}
            <p className="errorbox-text">{fail.message}</p>
          </div>
        </div>
      )}
      {end?.ok && (
        <p className="ok-text" role="status" data-testid="build-success">
          Built image <span className="mono">{end.id.replace(/^sha256:/, "").slice(0, 12)}</span>
          {b?.tags.length ? `, tagged ${b.tags.join(", ")}` : ""}.
        </p>
      )}
      <Card title="Output">
        {streamError ? (
          <p className="muted">{/expired|No such build/.test(streamError) ? "The output is kept an hour after a build ends; this one's is gone." : streamError}</p>
        ) : lines.length === 0 && !end ? (
          <Loading label={b?.status === "queued" ? "Waiting for a worker…" : "Waiting for output…"} />
        ) : (
          <pre
            className="output build-output"
            ref={box}
            data-testid="build-output"
            tabIndex={0}
            aria-label="Build output"
            onScroll={(e) => {
              const el = e.currentTarget;
              follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
            }}
          >
            {lines.map((l, i) => (
              <div key={i} className={l.kind === "step" ? "step" : l.kind === "cached" ? "cached" : l.kind === "done" || l.kind === "info" ? "dim" : undefined}>
                {l.text || "\u00a0"}
              </div>
            ))}
          </pre>
        )}
      </Card>
      {b && (
        <Card title="Request">
          <KeyValues
            items={[
              ["Build id", <span className="mono" key="id">{b.id}</span>],
              ["Started by", b.user],
              ["Queued", formatAgo(b.createdAt)],
              ["Dockerfile", <span className="mono" key="df">{b.dockerfile}</span>],
              ...(b.target ? [["Target stage", b.target] as [string, string]] : []),
              ["Build args", Object.entries(b.buildArgs).map(([k, v]) => `${k}=${v}`).join(", ") || "none"],
              ["Cache", b.noCache ? "not used (--no-cache)" : "used"],
              ["Network", b.network],
              ...(b.retryOf ? [["Retry of", <a key="r" href={teamHref(team, `/builds/${b.retryOf}`)} className="mono">{b.retryOf.slice(0, 8)}</a>] as [string, React.ReactNode]] : []),
            ]}
          />
        </Card>
      )}
      {!b && !build.isError && <Loading />}
    </>
  );
}
