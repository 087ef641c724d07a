/** A project's git remote as this browser reaches the server (the server's BERTH_URL may name another address). */
export function remoteHere(remote: string): string {
  if (typeof window === "undefined") return remote;
  return `${window.location.origin}${new URL(remote).pathname}`;
}

/** A branch's state as a StatusDot state: live is running, building/deploying are in progress. */
export function branchDot(state: string): string {
  switch (state) {
    case "live":
      return "running";
    case "building":
    case "deploying":
      return "building";
    case "failed":
      return "failed";
    default:
      return "exited";
  }
}
