"use client";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { useEffect, useRef, useState } from "react";
import type { AppRouter } from "../../server/routers/_app";

/**
 * A tRPC client acting in the URL's team (the team header). Stands in until the dashboard's
 * TanStack Query provider (web/src/lib/query.tsx) is on main; then these pages switch to useTRPC().
 */
const clients = new Map<string, ReturnType<typeof make>>();
function make(team: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: "/api/trpc",
        headers: { "x-berth-csrf": "1", "x-berth-team": team },
        fetch: (url, opts) => fetch(url, { ...(opts as RequestInit), credentials: "include" }),
      }),
    ],
  });
}
export function teamTrpc(team: string) {
  let c = clients.get(team);
  if (!c) clients.set(team, (c = make(team)));
  return c;
}

export function describeError(err: unknown): { message: string; signedOut: boolean } {
  if (err instanceof TRPCClientError) return { message: err.message, signedOut: (err.data as { code?: string } | undefined)?.code === "UNAUTHORIZED" };
  return { message: err instanceof Error ? err.message : String(err), signedOut: false };
}

/** Runs `load` now and every `everyMs` (0: once) while mounted; the newest answer or error. */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const d = await loadRef.current();
        if (!alive) return;
        setData(d);
        setError(undefined);
      } catch (e) {
        if (alive) setError(e);
      } finally {
        if (alive) setLoading(false);
      }
      if (alive && everyMs > 0) timer = setTimeout(() => void tick(), everyMs);
    };
    setLoading(true);
    void tick();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [everyMs, ...deps]);
  return { data, error, loading };
}
