"use client";
import { useEffect, useRef, useState } from "react";
import { errorMessage, isUnauthorized, trpc } from "../lib/trpc";
import { formatAgo } from "../lib/format";

type RepoSummary = Awaited<ReturnType<typeof trpc.search.query.query>>[number];

/**
 * Registry search: repositories whose name or description holds the text, as `search.query`
 * answers them (private ones only for their members and admins). Typing searches after a
 * short pause; Enter searches at once.
 */
export function RepoSearch({ onUnauthorized, onPick }: { onUnauthorized: () => void; onPick?: (repo: string) => void }) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<RepoSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  async function run(text: string) {
    const mine = ++seq.current;
    try {
      const found = await trpc.search.query.query({ q: text.trim() });
      if (mine !== seq.current) return; // a newer search answered or will answer
      setResults(found);
      setError(null);
    } catch (err) {
      if (mine !== seq.current) return;
      if (isUnauthorized(err)) onUnauthorized();
      else setError(errorMessage(err));
    }
  }

  useEffect(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void run(q), 250);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [q]);

  return (
    <div>
      <form
        role="search"
        style={{ marginBottom: 10 }}
        onSubmit={(e) => {
          e.preventDefault();
          if (timer.current) clearTimeout(timer.current);
          void run(q);
        }}
      >
        <input
          type="search"
          data-testid="repo-search"
          aria-label="Search repositories"
          placeholder="Search repositories by name or description"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table className="table" data-testid="repo-results">
        <thead>
          <tr>
            <th>Repository</th>
            <th>Description</th>
            <th>Visibility</th>
            <th className="num">Tags</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {results === null && (
            <tr>
              <td colSpan={5} className="muted">
                Loading…
              </td>
            </tr>
          )}
          {results?.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                {q.trim() ? `No repository matches “${q.trim()}”.` : "No repositories yet."}
              </td>
            </tr>
          )}
          {results?.map((r) => (
            <tr key={r.name} data-testid="repo-row" data-visibility={r.public ? "public" : "private"}>
              <td className="mono">
                {onPick ? (
                  <button type="button" className="btn btn-ghost btn-sm mono" onClick={() => onPick(r.name)} title={`Pull ${r.name}`}>
                    {r.name}
                  </button>
                ) : (
                  r.name
                )}
              </td>
              <td>{r.description || <span className="muted">—</span>}</td>
              <td>
                <span className={r.public ? "badge badge-ok" : "badge"}>{r.public ? "public" : "private"}</span>
              </td>
              <td className="num" data-testid="repo-tags">
                {r.tagCount}
              </td>
              <td title={r.updatedAt}>{formatAgo(r.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
