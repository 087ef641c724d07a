"use client";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AppRouter } from "../../server/routers/_app";

/**
 * A tRPC client acting in the page's team (the x-berth-team header), for the terminal's few
 * actions (restart the stopped container, the caller's role). The shell's query provider
 * (web/src/lib/query.tsx) replaces this once it is on main.
 */
export function teamClient(team: string) {
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
