import type { ReleaseDetail } from "./types";

/** A release's health check in a few words, as its deploy waits for it. */
export function describeHealth(h: ReleaseDetail["health"] | null | undefined): string {
  if (!h) return "";
  const c = h as { kind: string; path?: string; status?: number; test?: string[]; implicit?: boolean };
  if (c.kind === "http") {
    if (c.implicit) return "answers HTTP on its port (no check configured)";
    return `GET ${c.path ?? "/"} → ${c.status ?? "2xx/3xx"}`;
  }
  if (c.kind === "command") return `command: ${(c.test ?? []).join(" ")}`;
  return "the image's HEALTHCHECK";
}
