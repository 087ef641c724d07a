import { useSyncExternalStore } from "react";

/** The registry's address as clients name it: this server's host and port (the registry is at /v2/ on the web port). */
export function registryHost(): string {
  return typeof window === "undefined" ? "BERTH_HOST" : window.location.host;
}

const noSubscribe = () => () => {};

/**
 * registryHost() for a component's first render: the server renders the page too and knows no
 * browser's host, so hydration starts from the server's placeholder and then shows the real one
 * (reading window during that render made the texts differ: React's hydration error #418).
 */
export function useRegistryHost(): string {
  return useSyncExternalStore(noSubscribe, registryHost, () => "BERTH_HOST");
}

/** What to type to pull `repo:tag` from this Berth. */
export function pullCommand(repo: string, tag = "latest"): string {
  return `berth pull ${registryHost()}/${repo}:${tag}`;
}
