/** How the pipeline shows digests, commits and release states. */

/** `sha256:<64 hex>` as the 12 hex digits people compare by eye (the full one stays in the title and the copy). */
export const shortDigest = (digest: string): string => digest.replace(/^sha256:/, "").slice(0, 12);

export const shortSha = (sha: string | null): string => (sha ? sha.slice(0, 7) : "");

/** A release state as a StatusDot state (the dot's colour; the word is the state itself). */
export function releaseDot(state: string): string {
  switch (state) {
    case "live":
      return "running";
    case "pending":
    case "deploying":
      return "building";
    case "failed":
      return "failed";
    default:
      return "exited";
  }
}

/** A release still moving (the page polls faster while one is). */
export const inFlight = (state: string | undefined): boolean => state === "pending" || state === "deploying";

/** Whether an environment can go back to this release: it served once, and it is not the one serving now. */
export const canRollBackTo = (r: { state: string; deployedAt: string | null; number: number }, live: number | null): boolean => r.number !== live && r.deployedAt !== null && r.state !== "failed";

/** The services of two image sets, sorted, each with both sides. */
export function imageChanges(from: Record<string, string>, to: Record<string, string>): { service: string; from?: string; to?: string }[] {
  const services = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return services.map((service) => ({ service, from: from[service], to: to[service] }));
}
