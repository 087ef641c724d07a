import { isNotFound, type NetworkInspect } from "@berth/core";
import type { Services } from "../services.js";
import { networkJob } from "../networks/jobs.js";
import { networkEvent } from "../events/publish.js";

/** Makes the team's network `name` unless it exists; true when it was made. */
export async function ensureNetwork(s: Services, teamId: string, name: string, labels: Record<string, string>): Promise<boolean> {
  const have = await networkJob<NetworkInspect[]>(s, { op: "list", teamId });
  if (have.some((n) => n.Name === name)) return false;
  const made = await networkJob<{ id: string }>(s, { op: "create", teamId, name, labels });
  await networkEvent(s, "network.create", { id: made.id, name }, teamId);
  return true;
}

/** Removes the team's network `name`; false when there was none. */
export async function removeNetwork(s: Services, teamId: string, name: string): Promise<boolean> {
  try {
    const gone = await networkJob<{ ref: string; id: string; name: string }[]>(s, { op: "remove", teamId, names: [name] });
    for (const n of gone) await networkEvent(s, "network.destroy", n, teamId);
    return gone.length > 0;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
