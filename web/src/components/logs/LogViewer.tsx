"use client";
import { useVirtualizer } from "@tanstack/react-virtual";
import { ArrowDownToLine, ChevronDown, ChevronUp, Download } from "lucide-react";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { renderAnsi } from "./ansi";
import { FilteredView, LogStore, type StreamFilter } from "./log-store";
import { LogSource, type SourceState } from "./log-source";
import { LogSearch, type SearchProgress } from "./search";
import { RemovedLogsList } from "./RemovedLogsList";
import "./logs.css";

/** Fixed row height: rows need no measuring, and 1M rows stay under every browser's height cap. */
const ROW = 16;
/** New lines show within this; the list's layout is redone at most this often while a big log loads. */
const RENDER_MS = 100;

export interface LogViewerProps {
  team: string;
  /** Name or id, as in the URL. */
  container: string;
}

/**
 * A container's log: every line since it was created (rotated files included, and after `rm`
 * until the retention runs out), live while it runs and across restarts. Virtualised: only the
 * rows on screen exist in the DOM, whatever the log's length.
 */
export function LogViewer({ team, container }: LogViewerProps) {
  const store = useMemo(() => new LogStore(), []);
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<SourceState>({ kind: "connecting" });
  const [filter, setFilter] = useState<StreamFilter>("all");
  const [timestamps, setTimestamps] = useState(false);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState("");
  const [needle, setNeedle] = useState("");
  const [progress, setProgress] = useState<SearchProgress | undefined>();
  const [current, setCurrent] = useState(-1);
  const scrollRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<LogSearch | undefined>(undefined);
  const followRef = useRef(follow);
  followRef.current = follow;

  // Data: one read per page; re-renders coalesced (at most every RENDER_MS) however fast lines come.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onData = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        setVersion(store.version);
      }, RENDER_MS);
    };
    const src = new LogSource(store, container, team, setState, onData);
    src.start();
    return () => {
      clearTimeout(timer);
      src.stop();
    };
  }, [store, container, team]);

  const view = useMemo(() => new FilteredView(store, filter), [store, filter]);
  view.update();
  const rows = view.count;

  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW,
    overscan: 30,
  });

  // Follow: stick to the bottom as lines come. A scroll up whose scroll event has not arrived yet
  // (it comes a frame later; new lines may render first) must not be undone: if the view is
  // above where following last left it, the user moved, so following stops instead.
  const followedTo = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!follow || !rows) return;
    const el = scrollRef.current;
    if (!el) return;
    // Fewer rows (a filter) clamp the position to the new end, which is no move of the user's.
    const left = followedTo.current === undefined ? 0 : Math.min(followedTo.current, el.scrollHeight - el.clientHeight);
    if (el.scrollTop < left - ROW * 2) {
      followRef.current = false;
      setFollow(false);
      return;
    }
    el.scrollTop = el.scrollHeight;
    followedTo.current = el.scrollTop;
  }, [follow, rows, version]);

  // Scrolling up pauses following; reaching the bottom again resumes it. Only a move up pauses:
  // lines that rendered before a scroll event came make the view look short of the end too.
  const lastTop = useRef(0);
  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
    const movedUp = el.scrollTop < lastTop.current;
    lastTop.current = el.scrollTop;
    if (atBottom && !followRef.current) setFollow(true);
    else if (!atBottom && movedUp && followRef.current) setFollow(false);
  }, []);

  // Search: debounced, sliced (never a long task), extended as lines arrive.
  useEffect(() => {
    // Clearing is at once; typing waits for a pause.
    const t = setTimeout(() => setNeedle(query.trim().toLowerCase()), query.trim() ? 200 : 0);
    return () => clearTimeout(t);
  }, [query]);
  useEffect(() => {
    searchRef.current?.cancel();
    searchRef.current = undefined;
    setProgress(undefined);
    setCurrent(-1);
    if (!needle) return;
    const s = new LogSearch(store, needle, (p) => setProgress({ ...p }));
    searchRef.current = s;
    s.start();
    return () => s.cancel();
  }, [store, needle]);
  useEffect(() => {
    searchRef.current?.extend();
  }, [version]);

  const matchCount = progress?.count ?? 0;
  /** Moves to the next (+1) or previous (-1) match the filter shows. */
  const go = useCallback(
    (dir: 1 | -1) => {
      const p = progress;
      if (!p?.count) return;
      let k = current;
      for (let tries = 0; tries < p.count; tries++) {
        k = k < 0 ? (dir === 1 ? 0 : p.count - 1) : (k + dir + p.count) % p.count;
        if (view.shows(p.matches[k]!)) break;
      }
      if (!view.shows(p.matches[k]!)) return;
      setCurrent(k);
      setFollow(false);
      virtualizer.scrollToIndex(view.rowOf(p.matches[k]!), { align: "center" });
    },
    [progress, current, view, virtualizer],
  );
  const currentLine = progress && current >= 0 ? progress.matches[current] : undefined;

  const download = `/api/containers/logs?${new URLSearchParams({ id: container, team, ...(timestamps ? { timestamps: "1" } : {}), ...(filter !== "all" ? { stream: filter } : {}) })}`;
  const notFound = state.kind === "error" && state.errorKind === "NotFound";
  const live = state.kind === "reading" || state.kind === "following" || state.kind === "connecting";

  return (
    <section className="logs-page" aria-labelledby="logs-title">
      <header className="logs-header">
        <h2 id="logs-title">Log</h2>
        <StateBadge state={state} lines={store.count} />
      </header>
      {state.kind === "error" && (
        <div role="alert" className="logs-error" data-testid="logs-error">
          {state.errorKind === "Unauthenticated" ? (
            <>
              You are signed out. <a href="/">Sign in</a> to read this log.
            </>
          ) : (
            state.message
          )}
        </div>
      )}
      {notFound ? (
        <RemovedLogsList team={team} />
      ) : (
        <>
          <div className="logs-toolbar" role="toolbar" aria-label="Log tools">
            <input
              type="search"
              aria-label="Search the log"
              placeholder="Search (Enter: next, Shift+Enter: previous)"
              value={query}
              data-testid="log-search"
              onChange={(e) => setQuery(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  go(e.shiftKey ? -1 : 1);
                }
              }}
            />
            <span className="logs-matches" data-testid="log-matches" data-count={matchCount} data-done={progress?.done ? "1" : "0"} data-query={needle} aria-live="polite">
              {needle ? `${current >= 0 ? current + 1 : 0} of ${matchCount}${progress?.done ? "" : "…"}` : ""}
            </span>
            <button type="button" aria-label="Previous match" disabled={!matchCount} onClick={() => go(-1)} data-testid="log-prev">
              <ChevronUp size={16} aria-hidden />
            </button>
            <button type="button" aria-label="Next match" disabled={!matchCount} onClick={() => go(1)} data-testid="log-next">
              <ChevronDown size={16} aria-hidden />
            </button>
            <label className="logs-check">
              <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} data-testid="log-timestamps" /> Timestamps
            </label>
            <label className="logs-check">
              Stream{" "}
              <select value={filter} onChange={(e) => setFilter(e.target.value as StreamFilter)} data-testid="log-filter">
                <option value="all">stdout + stderr</option>
                <option value="stdout">stdout</option>
                <option value="stderr">stderr</option>
              </select>
            </label>
            <button
              type="button"
              aria-pressed={follow}
              data-testid="log-follow"
              onClick={() => {
                setFollow(true);
                const el = scrollRef.current;
                if (el) el.scrollTop = el.scrollHeight;
              }}
            >
              <ArrowDownToLine size={16} aria-hidden /> {!live ? "Go to end" : follow ? "Following" : "Follow"}
            </button>
            <a className="logs-download" href={download} download data-testid="log-download">
              <Download size={16} aria-hidden /> Download
            </a>
          </div>
          <div ref={scrollRef} className="logs-scroll" role="log" aria-label={`Log of ${container}`} tabIndex={0} onScroll={onScroll} data-testid="log-scroll">
            {rows === 0 ? (
              <p className="logs-empty" data-testid="log-empty">
                {state.kind === "connecting" || state.kind === "reading" ? "Reading the log…" : filter === "all" ? "No output yet. Lines appear here as the container writes them." : `No ${filter} lines.`}
              </p>
            ) : (
              <div style={{ height: virtualizer.getTotalSize(), position: "relative", minWidth: "100%" }}>
                {virtualizer.getVirtualItems().map((v) => {
                  const i = view.line(v.index);
                  return <Row key={i} i={i} top={v.start} store={store} showTime={timestamps} needle={needle} current={i === currentLine} />;
                })}
              </div>
            )}
          </div>
          <footer className="logs-footer">
            <span data-testid="log-count" data-count={store.count}>
              {store.count.toLocaleString()} lines{filter !== "all" ? ` (${rows.toLocaleString()} ${filter})` : ""}
            </span>
          </footer>
        </>
      )}
    </section>
  );
}

const Row = memo(function Row({ i, top, store, showTime, needle, current }: { i: number; top: number; store: LogStore; showTime: boolean; needle: string; current: boolean }) {
  const err = store.isStderr(i);
  return (
    <div className={`log-line${err ? " log-stderr" : ""}${current ? " log-current" : ""}`} style={{ transform: `translateY(${top}px)` }} data-testid="log-line" data-line={i} data-stream={err ? "stderr" : "stdout"}>
      {showTime && <time className="log-time">{store.time(i)}</time>}
      {renderAnsi(store.text(i), needle)}
    </div>
  );
});

function StateBadge({ state, lines }: { state: SourceState; lines: number }) {
  const text =
    state.kind === "connecting"
      ? "Connecting…"
      : state.kind === "reading"
        ? `Reading… ${lines.toLocaleString()} lines`
        : state.kind === "following"
          ? "Live"
          : state.kind === "ended"
            ? "Stopped: following resumes when it starts again"
            : state.kind === "removed"
              ? "Removed: its logs are kept until the retention runs out"
              : state.errorKind === "NotFound"
                ? "Not found"
                : "Error";
  return (
    <span className={`logs-state logs-state-${state.kind}`} data-testid="log-state" data-state={state.kind}>
      {text}
    </span>
  );
}
