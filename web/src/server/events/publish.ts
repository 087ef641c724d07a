import { publishEvent, type BerthEvent } from "@berth/core";
import type { Services } from "../services.js";

/** A container event with Docker's attributes (name, image) from the row, plus `extra` (signal, oldName, …). */
export async function containerEvent(
  s: Services,
  type: Extract<BerthEvent["type"], `container.${string}`>,
  c: { id: string; name: string; imageRef: string; hostId: string; teamId: string },
  extra: Record<string, string> = {},
): Promise<void> {
  await publishEvent(s.redis, { type, id: c.id, hostId: c.hostId, teamId: c.teamId, attributes: { name: c.name, image: c.imageRef, ...extra } }, (err) =>
    s.log.warn({ err: err.message, id: c.id }, `could not publish ${type}`),
  );
}

/**
 * An image event: Actor.ID is the image id, `name` the reference it concerns (as docker's
 * tag/untag/delete); `teamId` the tag's team (null: a shared base image, seen by every team).
 */
export async function imageEvent(s: Services, type: Extract<BerthEvent["type"], `image.${string}`>, id: string, name: string, teamId: string | null): Promise<void> {
  await publishEvent(s.redis, { type, id, teamId, attributes: { name } }, (err) => s.log.warn({ err: err.message, id }, `could not publish ${type}`));
}

/** A volume event: Actor.ID is the volume's name (Docker's), seen only by the volume's team. */
export async function volumeEvent(s: Services, type: Extract<BerthEvent["type"], `volume.${string}`>, name: string, teamId: string): Promise<void> {
  await publishEvent(s.redis, { type, id: name, teamId, attributes: { driver: "local" } }, (err) => s.log.warn({ err: err.message, volume: name }, `could not publish ${type}`));
}

/**
 * A network event: Actor.ID is the network's id, `name` its name, `container` the container
 * connected or disconnected; seen only by the network's team (the container's, for the shared bridge).
 */
export async function networkEvent(s: Services, type: Extract<BerthEvent["type"], `network.${string}`>, n: { id: string; name: string }, teamId: string, container?: string): Promise<void> {
  await publishEvent(s.redis, { type, id: n.id, teamId, attributes: { name: n.name, type: "bridge", ...(container ? { container } : {}) } }, (err) =>
    s.log.warn({ err: err.message, network: n.name }, `could not publish ${type}`),
  );
}
