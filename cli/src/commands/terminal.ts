import type { Command } from "commander";
import type { RecordingInfo, TerminalSessionInfo, TerminalState } from "@berth/core";
import { action } from "../action.js";

/**
 * Joins a shared terminal session (the one a teammate opened in the dashboard): its scrollback,
 * then live. Only the driver's keys reach the shell; the others watch until it is handed over.
 * With `container`, the session must be in that container.
 */
export async function attachSession(id: string, o: { container?: string; interactive: boolean; tty: boolean }): Promise<number> {
  const [{ connect }, { runTerminal }, { write }, { detachFilter }] = await Promise.all([import("../client.js"), import("../terminal.js"), import("../output.js"), import("../detach-keys.js")]);
  const s = connect();
  let said = "";
  const r = await runTerminal(s, {
    event: "terminal:join",
    tty: o.tty,
    interactive: o.interactive,
    // Ctrl-P Ctrl-Q leaves (a watcher's keys, Ctrl-C included, do not reach the shell); the session goes on.
    ...(o.tty && o.interactive ? { input: detachFilter() } : {}),
    payload: { id, ...(o.container ? { container: o.container } : {}) },
    onState: (st: TerminalState) => {
      const driver = st.participants.find((p) => p.driver);
      const line = driver?.id === st.you ? "you drive (Ctrl-P Ctrl-Q leaves)" : `${driver?.user ?? "nobody"} drives: you watch until it is handed to you (Ctrl-P Ctrl-Q leaves)`;
      if (line !== said && st.status === "running") {
        said = line;
        process.stderr.write(`\r\nberth: terminal ${st.id} in ${st.containerName}: ${line}\r\n`);
      }
    },
  });
  if (r.detached) return 0;
  if (r.error) await write(process.stderr, `berth: ${r.error}\n`);
  return r.exitCode ?? 0;
}

/** `berth terminal ls`: the current team's shared terminal sessions (and, with -r, recordings). */
export async function ls(o: { recordings: boolean }): Promise<void> {
  const [{ connect, loadSocketIo }, { table, humanDuration }, { write }, { CliError, codeForKind, connectionMessage, unauthorizedMessage }, { tlsOptions }, { teamAuth }] = await Promise.all([
    import("../client.js"),
    import("../format.js"),
    import("../output.js"),
    import("../errors.js"),
    import("../tls-trust.js"),
    import("../credentials.js"),
  ]);
  const s = connect();
  const { io } = await loadSocketIo();
  const u = new URL(s.url);
  const socket = io(u.origin, { ...(await tlsOptions(u)), path: `${u.pathname.replace(/\/+$/, "")}/socket.io`, auth: { token: s.token, ...teamAuth(s.url) }, reconnection: false });
  try {
    const list = await new Promise<{ sessions: TerminalSessionInfo[]; recordings: RecordingInfo[] }>((resolve, reject) => {
      socket.on("connect_error", (err: Error) => reject(new CliError(/unauthori[sz]ed/i.test(err.message) ? "UNAUTHORIZED" : "CONNECTION", /unauthori[sz]ed/i.test(err.message) ? unauthorizedMessage(s.url) : connectionMessage(s.url))));
      socket.on("connect", () => {
        socket.timeout(20_000).emit("terminal:list", {}, (err: Error | null, ack: { sessions: TerminalSessionInfo[]; recordings: RecordingInfo[] } | { error: string; kind: string }) => {
          if (err) return reject(new CliError("CONNECTION", `the Berth server at ${s.url} did not answer`));
          if ("error" in ack) return reject(new CliError(codeForKind(ack.kind), ack.error));
          resolve(ack);
        });
      });
    });
    const now = Date.now();
    if (o.recordings) {
      await write(process.stdout, table(["RECORDING ID", "CONTAINER", "BY", "STARTED", "SIZE"], list.recordings.map((r) => [r.id, r.containerName, r.startedBy, `${humanDuration(now - Date.parse(r.startedAt))} ago`, `${r.bytes}B`])));
      return;
    }
    await write(
      process.stdout,
      table(
        ["SESSION ID", "CONTAINER", "STARTED BY", "STARTED", "STATUS", "PARTICIPANTS"],
        list.sessions.map((t) => [
          t.id,
          t.containerName,
          t.startedBy,
          `${humanDuration(now - Date.parse(t.startedAt))} ago`,
          t.status === "running" ? (t.recording ? "running (recording)" : "running") : `${t.status} (${t.exitCode ?? "?"})`,
          t.participants.map((p) => (p.driver ? `${p.user}*` : p.user)).join(",") || "-",
        ]),
      ),
    );
  } finally {
    socket.disconnect();
  }
}

export function register(program: Command): Command {
  const t = program.command("terminal").description("Shared terminal sessions (opened in the dashboard or here)");
  t.command("ls")
    .alias("list")
    .description("List the team's terminal sessions (* marks the driver)")
    .option("-r, --recordings", "list the recordings instead")
    .action(action("other", (o: { recordings?: boolean }) => ls({ recordings: !!o.recordings })));
  t.command("attach")
    .description("Join a terminal session by id: its scrollback, then live (you type once the driver hands over)")
    .argument("<id>", "session id (berth terminal ls)")
    .action(action("other", (id: string) => attachSession(id, { interactive: true, tty: true })));
  return t;
}
