import { z } from "zod";

/** Redis pub/sub channel that web fans out to socket.io rooms. */
export const EVENTS_CHANNEL = "events";

export const ContainerEvent = z.object({
  type: z.enum(["container.create", "container.start", "container.die", "container.destroy"]),
  id: z.string(),
  hostId: z.string(),
  exitCode: z.number().int().nullable().optional(),
  error: z.string().optional(),
  time: z.string(),
});
export type ContainerEvent = z.infer<typeof ContainerEvent>;
