/** The registry's address as clients name it: this server's host and port (the registry is at /v2/ on the web port). */
export function registryHost(): string {
  return typeof window === "undefined" ? "BERTH_HOST" : window.location.host;
}

/** What to type to pull `repo:tag` from this Berth. */
export function pullCommand(repo: string, tag = "latest"): string {
  return `berth pull ${registryHost()}/${repo}:${tag}`;
}
