import type { Socket } from "socket.io-client";
import { RecordingId, TERMINAL_SESSION, TerminalSessionId, type Logger } from "@berth/core";
import { z } from "zod";
import type { TerminalSessions } from "./registry.js";

type Ack = (a: unknown) => void;
const Find = z.object({ id: TerminalSessionId });
const ListReq = z.object({ teamId: z.string().min(1) });
const ReadReq = z.object({ id: RecordingId, teamId: z.string().min(1), offset: z.number().int().min(0) });

/** Web's questions about this host's shared terminals: where one is, a team's sessions and recordings. */
export function registerTerminalQueries(socket: Socket, terminals: TerminalSessions, log: Logger): void {
  const answer = (schema: z.ZodType, fn: (req: never) => unknown) => async (p: unknown, ack?: Ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const m = schema.safeParse(p);
    if (!m.success) return reply({ error: `invalid terminal request: ${m.error.issues.map((i) => i.message).join("; ")}`, kind: "InvalidArgument" });
    try {
      reply(await fn(m.data as never));
    } catch (err) {
      const e = err as Error & { kind?: string };
      if (!e.kind) log.error({ err }, "terminal query failed");
      reply({ error: e.message, kind: e.kind ?? "Internal" });
    }
  };
  socket.on(TERMINAL_SESSION.find, answer(Find, (r: z.infer<typeof Find>) => terminals.find(r.id)));
  socket.on(
    TERMINAL_SESSION.list,
    answer(ListReq, async (r: z.infer<typeof ListReq>) => ({ sessions: terminals.list(r.teamId), recordings: await terminals.recordings(r.teamId) })),
  );
  socket.on(TERMINAL_SESSION.recording, answer(ReadReq, (r: z.infer<typeof ReadReq>) => terminals.readRecording(r.id, r.teamId, r.offset)));
}
