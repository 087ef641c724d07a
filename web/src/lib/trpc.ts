"use client";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../server/routers/_app";

export type { ContainerSummary, ImageSummary } from "../server/routers/_app";

export const trpc = createTRPCClient<AppRouter>({
  links: [
    httpBatchLink({
      url: "/api/trpc",
      // Proof of a script of this origin (a cross-site form cannot set a header): web/src/server/http/guard.ts.
      headers: { "x-berth-csrf": "1" },
      fetch: (url, opts) => fetch(url, { ...(opts as RequestInit), credentials: "include" }),
    }),
  ],
});

export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === "UNAUTHORIZED";
}
