import { z } from "zod";
import type { Redis } from "./redis.js";
import { logTime, normalizeTime } from "./log-time.js";

/** Redis pub/sub channel that web fans out to socket.io rooms. */
export const EVENTS_CHANNEL = "events";
/** The recent events, kept for `berth events --since` (capped: the oldest fall off). */
export const EVENTS_STREAM = "events:recent";
export const EVENTS_STREAM_MAXLEN = 10_000;

/** `<type>.<action>`, as Docker's Type and Action. */
export const EVENT_TYPES = [
  "container.create",
  "container.start",
  "container.die",
  "container.destroy",
  "container.stop",
  "container.kill",
  "container.rename",
  "container.restart",
  "container.pause",
  "container.unpause",
  /** Docker's "health_status: healthy|unhealthy"; attributes.status says which. */
  "container.health_status",
  "image.tag",
  "image.untag",
  "image.delete",
  "volume.create",
  "volume.destroy",
  "network.create",
  "network.destroy",
  "network.connect",
  "network.disconnect",
  /** A project's branch was pushed (or deleted) and handed to the preview engine; attributes: name, branch, sha, state, url. */
  "project.push",
  /** An environment was made, changed (settings) or removed; attributes: project, env, by. */
  "environment.create",
  "environment.update",
  "environment.destroy",
  /** An environment's config changed (a new config version); attributes: project, env, set or unset (the keys), version, by (never a value). */
  "environment.config",
  /** A release was written (a push, a promotion, a rollback, a config change); attributes: name (project), env, number, reason, sha, source, by. */
  "release.create",
  /** A release's deploy to an environment moved on; attributes: name (project), env, number, state (deploying|live|failed|stable), step, error. */
  "release.deploy",
  /** An environment went back to an earlier release by itself (its health failed in the watch window); attributes: name, env, number, to, reason. */
  "release.rollback",
] as const;

export const ContainerEvent = z.object({
  type: z.enum(EVENT_TYPES),
  /** The container's id (image events: the image's id; volume events: its name; network events: its id). */
  id: z.string(),
  hostId: z.string().optional(),
  /** The owning team, so the relay shows it only to that team's members (null: a shared base image or the default bridge, seen by all). */
  teamId: z.string().nullable().optional(),
  exitCode: z.number().int().nullable().optional(),
  error: z.string().optional(),
  /** Docker's Actor.Attributes: name, image, signal, oldName, … (filled in by web where missing). */
  attributes: z.record(z.string(), z.string()).optional(),
  time: z.string(),
});
export type ContainerEvent = z.infer<typeof ContainerEvent>;
/** Every event Berth publishes (containers, images, volumes and networks share the shape). */
export type BerthEvent = ContainerEvent;

/**
 * Publishes an event live (pub/sub) and keeps it in the capped recent-events stream, in one
 * round trip. Never throws: an event is worth a warning, not a failed operation.
 */
export async function publishEvent(redis: Redis, ev: Omit<BerthEvent, "time"> & { time?: string }, onError?: (err: Error) => void): Promise<void> {
  const event: BerthEvent = { ...ev, time: ev.time ? normalizeTime(ev.time) : logTime() };
  const json = JSON.stringify(event);
  try {
    await redis.multi().xadd(EVENTS_STREAM, "MAXLEN", "~", String(EVENTS_STREAM_MAXLEN), "*", "event", json).publish(EVENTS_CHANNEL, json).exec();
  } catch (err) {
    onError?.(err as Error);
  }
}

/** socket.io events of `berth events` (pull: the client asks for the next batch). */
export const EVENTS_READ = { open: "events:open", next: "events:next", close: "events:close" } as const;

export const EventsOpen = z.object({
  since: z.string().max(64).optional(),
  until: z.string().max(64).optional(),
  /** Docker's --filter key=value pairs (type, event, container, image), as typed */
  filters: z.array(z.string().max(512)).max(100).default([]),
});
export type EventsOpen = z.infer<typeof EventsOpen>;
