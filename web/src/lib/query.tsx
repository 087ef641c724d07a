"use client";
/**
 * The dashboard's data layer: TanStack Query through tRPC (`useTRPC()` +
 * `useQuery(trpc.x.y.queryOptions(...))`). The root layout mounts one provider for pages outside
 * a team (`/`, `/teams`, `/tokens`); the team shell mounts another, keyed by team, so every
 * request of a team page carries that team in the x-berth-team header and no cached answer of
 * one team ever shows under another.
 */
import { useState, type ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { AppRouter } from "../server/routers/_app";

const ctx = createTRPCContext<AppRouter>();

/** The typed tRPC options proxy: `useQuery(trpc.container.list.queryOptions({ all: true }))`. */
export const useTRPC = ctx.useTRPC;
/** The plain client, for one-off calls outside TanStack Query (imperative actions). */
export const useTRPCClient = ctx.useTRPCClient;

/** Must match TEAM_HEADER in web/src/server/policy/actor.ts (not imported: that file pulls in Prisma). */
export const TEAM_HEADER = "x-berth-team";

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Live pages refresh from socket events; a focus refetch covers a tab left in the background.
        staleTime: 5_000,
        retry: (count, err) => count < 2 && !isClientError(err),
      },
    },
  });
}

function makeClient(team: string | undefined) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: "/api/trpc",
        headers: () => ({
          // Proof of a script of this origin (a cross-site form cannot set a header): web/src/server/http/guard.ts.
          "x-berth-csrf": "1",
          ...(team ? { [TEAM_HEADER]: team } : {}),
        }),
        fetch: (url, opts) => fetch(url, { ...(opts as RequestInit), credentials: "include" }),
      }),
    ],
  });
}

export function TRPCProvider({ team, children }: { team?: string; children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [client] = useState(() => makeClient(team));
  return (
    <QueryClientProvider client={queryClient}>
      <ctx.TRPCProvider trpcClient={client} queryClient={queryClient}>
        {children}
      </ctx.TRPCProvider>
    </QueryClientProvider>
  );
}

/** tRPC error code of a failed call (UNAUTHORIZED, FORBIDDEN, NOT_FOUND…), if it is one. */
export function errorCode(err: unknown): string | undefined {
  return err instanceof TRPCClientError ? (err.data as { code?: string } | undefined)?.code : undefined;
}

/** 4xx answers do not get better by asking again. */
function isClientError(err: unknown): boolean {
  const status = err instanceof TRPCClientError ? (err.data as { httpStatus?: number } | undefined)?.httpStatus : undefined;
  return status !== undefined && status >= 400 && status < 500;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * fetch() for the HTTP routes beside tRPC (archives, builds): the team header and the CSRF
 * header as the tRPC client sends them; a JSON error answer ({error:{kind,message}}) becomes an Error.
 */
export async function teamFetch(team: string, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("x-berth-csrf", "1");
  if (team) headers.set(TEAM_HEADER, team);
  const res = await fetch(url, { ...init, headers, credentials: "include" });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `${url.split("?")[0]} answered ${res.status} ${res.statusText}`);
  }
  return res;
}
