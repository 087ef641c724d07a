import { isNotFound } from "@berth/core";
import type { Services } from "../services.js";
import { networkJob } from "../networks/jobs.js";
import { networkEvent } from "../events/publish.js";

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
