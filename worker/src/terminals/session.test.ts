import { describe, expect, it } from "vitest";
import type { TerminalState } from "@berth/core";
import type { SessionHandle, TerminalClient } from "../containers/terminal.js";
import { SharedTerminal, type SessionHost } from "./session.js";

/** A stand-in process: records what reached its pty; `say` is its output, `exit` its end. */
function fakeHost(containerAlive: boolean) {
  const typed: string[] = [];
  const sizes: string[] = [];
  let client: TerminalClient | undefined;
  const host: SessionHost = {
    exec: async (_cmd, _c, _r, c) => {
      client = c;
      const h: SessionHandle = {
        stdin: (d) => void typed.push(d?.toString() ?? ""),
        resize: (cols, rows) => void sizes.push(`${cols}x${rows}`),
        close: () => client?.exit(137),
      };
      return h;
    },
    containerPid: () => (containerAlive ? process.pid : undefined),
    record: () => Promise.reject(new Error("not recording here")),
    ended: () => {},
  };
  return { host, typed, sizes, say: (s: string) => client?.data("pty", Buffer.from(s)), exit: (code: number) => client?.exit(code) };
}

function viewer() {
  const out: string[] = [];
  const states: Omit<TerminalState, "session">[] = [];
  let ended: { code: number | null; error?: string } | undefined;
  const sink: TerminalClient = { data: (_s, d) => void out.push(d.toString()), exit: (code, error) => void (ended = { code, error }), state: (s) => void states.push(s) };
  return { sink, out, states, last: () => states.at(-1)!, ended: () => ended };
}

async function session(containerAlive = true) {
  const f = fakeHost(containerAlive);
  const s = new SharedTerminal(f.host, "team", "c".repeat(64), "box", "alice", { cols: 80, rows: 24 });
  await s.start(["/bin/sh"], false);
  return { s, ...f };
}

describe("SharedTerminal", () => {
  it("replays the scrollback to a client that joins, then streams live", async () => {
    const { s, say } = await session();
    say("before\r\n");
    const a = viewer();
    s.connect("00000000-0000-4000-8000-000000000001", { user: "alice", via: "browser" }, {}, a.sink);
    say("after\r\n");
    expect(a.out.join("")).toBe("before\r\nafter\r\n");
  });

  it("takes input and sizes only from the driver, until the wheel is handed over", async () => {
    const { s, typed, sizes } = await session();
    const a = viewer();
    const b = viewer();
    const ha = s.connect("00000000-0000-4000-8000-00000000000a", { user: "alice", via: "browser" }, { cols: 100, rows: 30 }, a.sink);
    const hb = s.connect("00000000-0000-4000-8000-00000000000b", { user: "bob", via: "browser" }, { cols: 90, rows: 20 }, b.sink);
    expect(a.last().participants.map((p) => [p.user, p.driver])).toEqual([
      ["alice", true],
      ["bob", false],
    ]);
    expect(sizes).toEqual(["100x30"]);
    hb.stdin(Buffer.from("from bob"), false);
    hb.resize(40, 10);
    ha.stdin(Buffer.from("from alice"), false);
    expect(typed).toEqual(["from alice"]);
    expect(sizes).toEqual(["100x30"]);

    // Bob asks; only the driver can hand over, and the size follows the new driver.
    hb.control?.({ op: "request" });
    expect(a.last().requests).toEqual([b.last().you]);
    hb.control?.({ op: "handover", to: b.last().you });
    expect(a.last().participants.find((p) => p.driver)?.user).toBe("alice");
    ha.control?.({ op: "handover", to: b.last().you });
    expect(b.last().participants.find((p) => p.id === b.last().you)?.driver).toBe(true);
    expect(b.last().requests).toEqual([]);
    expect(sizes).toEqual(["100x30", "40x10"]);
    ha.stdin(Buffer.from("alice again"), false);
    hb.stdin(Buffer.from("bob now"), false);
    expect(typed).toEqual(["from alice", "bob now"]);

    // The driver leaves: the wheel goes to who is left.
    hb.close();
    expect(a.last().participants.map((p) => [p.user, p.driver])).toEqual([["alice", true]]);
  });

  it("tells every client that the session ended, and a late joiner gets the scrollback and the end", async () => {
    const { s, say, exit } = await session();
    const a = viewer();
    s.connect("00000000-0000-4000-8000-00000000000a", { user: "alice", via: "browser" }, {}, a.sink);
    say("bye\r\n");
    exit(0);
    expect(a.ended()).toEqual({ code: 0, error: "session ended (exit 0)" });
    expect(a.last().status).toBe("ended");
    const late = viewer();
    s.connect("00000000-0000-4000-8000-00000000000c", { user: "carol", via: "cli" }, {}, late.sink);
    expect(late.out.join("")).toBe("bye\r\n");
    expect(late.ended()?.code).toBe(0);
  });

  it("says the container stopped when its process died with the container", async () => {
    // No PID 1 any more: the process ended because its container did.
    const { s, exit } = await session(false);
    const a = viewer();
    s.connect("00000000-0000-4000-8000-00000000000a", { user: "alice", via: "browser" }, {}, a.sink);
    exit(137);
    expect(a.ended()).toBeUndefined();
    s.containerExited(143);
    expect(a.ended()).toEqual({ code: 143, error: "container stopped (exit 143)" });
    expect(a.last()).toMatchObject({ status: "stopped", message: "container stopped (exit 143)" });
  });
});
