/** Minimal tRPC-over-HTTP calls for tests (no transformer: the body is the input as JSON). */
export async function trpc<T>(url: string, token: string | undefined, proc: string, input?: unknown, kind: "query" | "mutation" = "query"): Promise<{ status: number; data?: T; error?: { message: string; data?: { code?: string } } }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res =
    kind === "query"
      ? await fetch(`${url}/api/trpc/${proc}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers })
      : await fetch(`${url}/api/trpc/${proc}`, { method: "POST", headers, body: JSON.stringify(input ?? {}) });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string; data?: { code?: string } } };
  return { status: res.status, ...(body.result ? { data: body.result.data } : {}), ...(body.error ? { error: body.error } : {}) };
}
