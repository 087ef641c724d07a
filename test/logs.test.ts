import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, useInstance } from "./harness.js";
import { until } from "./poll.js";

// `berth logs` end to end: json-file history on the host (rotation included), the live tail, restarts.
const b = useInstance();

async function exited(ref: string): Promise<void> {
  const w = await b.berth(["wait", ref], { timeoutMs: 60_000 });
  expect(w.stderr).toBe("");
}

/** The CLI as a child whose output can be watched while it runs. */
function live(args: string[]) {
  const child = spawn(process.execPath, [path.join(ROOT, "cli/bin/berth.js"), ...args], {
    env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token, BERTH_HOME: b.home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out.stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out.stderr += d));
  const done = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { child, out, done };
}

describe("logs history", () => {
  it("keeps stdout and stderr apart, each on its own CLI stream, in order", async () => {
    const r = await b.berth(["run", "--name", "apart", "busybox", "sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2"]);
    expect(r.code).toBe(0);
    const l = await b.berth(["logs", "apart"]);
    expect(l.code).toBe(0);
    expect(l.stdout).toBe("out1\nout2\n");
    expect(l.stderr).toBe("err1\nerr2\n");
  }, 60_000);

  it("--tail, -t, --since and --until select lines as docker does", async () => {
    const r = await b.berth(["run", "--name", "twenty", "busybox", "sh", "-c", "for i in $(seq 1 20); do echo line $i; done"]);
    expect(r.code).toBe(0);
    expect((await b.berth(["logs", "--tail", "3", "twenty"])).stdout).toBe("line 18\nline 19\nline 20\n");
    expect((await b.berth(["logs", "--tail", "0", "twenty"])).stdout).toBe("");
    expect((await b.berth(["logs", "--tail", "all", "twenty"])).stdout.split("\n")).toHaveLength(21);
    const t = await b.berth(["logs", "-t", "twenty"]);
    const lines = t.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(20);
    for (const [i, l] of lines.entries()) expect(l).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z line ${i + 1}$`));
    const times = lines.map((l) => l.split(" ")[0]!);
    expect([...times].sort()).toEqual(times);
    const since = await b.berth(["logs", "--since", times[4]!, "twenty"]);
    expect(since.stdout.trimEnd().split("\n")).toEqual(Array.from({ length: 16 }, (_, i) => `line ${i + 5}`));
    const untilR = await b.berth(["logs", "--until", times[9]!, "twenty"]);
    expect(untilR.stdout.trimEnd().split("\n")).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 1}`));
    expect((await b.berth(["logs", "--since", "1h", "twenty"])).stdout.split("\n")).toHaveLength(21);
    expect((await b.berth(["logs", "--until", "1h", "twenty"])).stdout).toBe("");
    const future = String(Math.floor(Date.now() / 1000) + 3600);
    expect((await b.berth(["logs", "--since", future, "twenty"])).stdout).toBe("");
    const bad = await b.berth(["logs", "--since", "yesterday", "twenty"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid value "yesterday" for --since');
  }, 60_000);

  it("says No such container for an unknown one", async () => {
    const r = await b.berth(["logs", "nosuchthing"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No such container: nosuchthing");
  });
});

describe("rotation", () => {
  it("keeps exactly max-file files and logs shows what they hold", async () => {
    const r = await b.berth(["run", "-d", "--name", "rot", "--log-opt", "max-size=2k", "--log-opt", "max-file=3", "busybox", "seq", "1", "3000"]);
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    await exited("rot");
    const dir = path.join(b.home, "containers", id);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith("log.jsonl")).sort();
    expect(files).toEqual(["log.jsonl", "log.jsonl.1", "log.jsonl.2"]);
    for (const f of ["log.jsonl.1", "log.jsonl.2"]) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(2000);
    const kept = ["log.jsonl.2", "log.jsonl.1", "log.jsonl"].flatMap((f) =>
      fs.readFileSync(path.join(dir, f), "utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as { log: string }).log),
    );
    const l = await b.berth(["logs", "rot"]);
    expect(l.code).toBe(0);
    expect(l.stdout).toBe(kept.join(""));
    const nums = l.stdout.trimEnd().split("\n").map(Number);
    expect(nums.at(-1)).toBe(3000);
    expect(nums[0]).toBeGreaterThan(1); // the oldest were rotated away
    expect(nums).toEqual(Array.from({ length: nums.length }, (_, i) => nums[0]! + i));
    expect((await b.berth(["logs", "--tail", "5", "rot"])).stdout).toBe("2996\n2997\n2998\n2999\n3000\n");
  }, 60_000);

  it("refuses bad --log-opt values with the reason, creating nothing", async () => {
    for (const [opt, msg] of [
      ["max-file=0", "max-file cannot be less than 1"],
      ["max-size=lots", 'invalid max-size "lots"'],
      ["colour=blue", "unknown log opt 'colour'"],
    ] as const) {
      const r = await b.berth(["run", "--name", "badopt", "--log-opt", opt, "busybox", "true"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(msg);
    }
    const ps = await b.berth(["ps", "-a"]);
    expect(ps.stdout).not.toContain("badopt");
  }, 60_000);

  it("--log-driver none keeps no file; logs says it cannot read", async () => {
    const r = await b.berth(["run", "--name", "quiet", "--log-driver", "none", "busybox", "echo", "hi"]);
    expect(r.code).toBe(0);
    const l = await b.berth(["logs", "quiet"]);
    expect(l.code).toBe(1);
    expect(l.stderr).toContain("does not support reading");
  }, 60_000);
});

describe("follow", () => {
  it("logs -f follows a container across a restart until its second run ends", async () => {
    const r = await b.berth(["run", "-d", "--name", "again", "busybox", "sh", "-c", "echo hello; sleep 4; echo bye"]);
    expect(r.code).toBe(0);
    const f = live(["logs", "-f", "again"]);
    await until("the first line", async () => f.out.stdout.includes("hello\n"));
    const rs = await b.berth(["restart", "-t", "1", "again"], { timeoutMs: 60_000 });
    expect(rs.code).toBe(0);
    const code = await f.done;
    expect(f.out.stderr).toBe("");
    expect(code).toBe(0);
    // Run 1 was stopped before "bye"; run 2 ran to its end.
    expect(f.out.stdout).toBe("hello\nhello\nbye\n");
    // The history holds both runs.
    expect((await b.berth(["logs", "again"])).stdout).toBe("hello\nhello\nbye\n");
  }, 90_000);

  it("logs -f of a restarted, running container does not stop at the first run's exit", async () => {
    const r = await b.berth(["run", "--name", "twice", "busybox", "sh", "-c", "echo run; sleep 2"]);
    expect(r.code).toBe(0);
    expect((await b.berth(["start", "twice"])).code).toBe(0);
    const f = await b.berth(["logs", "-f", "twice"], { timeoutMs: 60_000 });
    expect(f.code).toBe(0);
    expect(f.stdout).toBe("run\nrun\n");
  }, 60_000);

  it("logs -f of a chatty container hands over from the files to the live stream exactly: 1M lines, each once, in order", async () => {
    const N = 1_000_000;
    const r = await b.berth(["run", "-d", "--name", "chatty", "busybox", "seq", "1", String(N)]);
    expect(r.code).toBe(0);
    const file = path.join(b.home, "containers", r.stdout.trim(), "log.jsonl");
    // A json-file line of this log is about 80 bytes.
    const logBytes = async () => (fs.existsSync(file) ? fs.statSync(file).size : 0);
    // One follower while the first lines arrive (the stream lags the file), one once far more than a
    // live reader keeps is written (the capped stream may have dropped the hand-over point).
    await until("the first lines", async () => (await logBytes()) > 0);
    const early = live(["logs", "-f", "chatty"]);
    await until("many lines", async () => (await logBytes()) > 150_000 * 80, 120_000);
    const late = live(["logs", "-f", "chatty"]);
    for (const f of [early, late]) {
      expect(await f.done).toBe(0);
      expect(f.out.stderr).toBe("");
      const lines = f.out.stdout.split("\n");
      expect(lines.pop()).toBe("");
      let bad = -1;
      for (let i = 0; i < lines.length && bad < 0; i++) if (lines[i] !== String(i + 1)) bad = i;
      expect({ count: lines.length, firstWrong: bad < 0 ? null : { at: bad, got: lines[bad] } }).toEqual({ count: N, firstWrong: null });
    }
  }, 240_000);

  it("logs -f --tail 1 shows the last line, then new ones, then ends with the container", async () => {
    const script = 'echo old1; echo old2; trap "echo new; exit 0" USR1; while true; do sleep 0.1; done';
    const r = await b.berth(["run", "-d", "--name", "ticker", "busybox", "sh", "-c", script]);
    expect(r.code).toBe(0);
    await until("the first lines", async () => (await b.berth(["logs", "ticker"])).stdout === "old1\nold2\n");
    const f = live(["logs", "-f", "--tail", "1", "ticker"]);
    await until("the tail", async () => f.out.stdout.includes("old2\n"));
    expect((await b.berth(["kill", "-s", "USR1", "ticker"])).code).toBe(0);
    expect(await f.done).toBe(0);
    expect(f.out.stdout).toBe("old2\nnew\n");
  }, 60_000);
});

describe("attach", () => {
  it("attaches to a running container: its new output (stdout and stderr apart), then its exit code", async () => {
    const script = 'trap "echo bye; echo gone >&2; exit 3" TERM; while true; do echo tick; sleep 0.2; done';
    expect((await b.berth(["run", "-d", "--name", "att", "busybox", "sh", "-c", script])).code).toBe(0);
    await until("its first line", async () => (await b.berth(["logs", "att"])).stdout.includes("tick"));
    const a = live(["attach", "att"]);
    await until("output through the attach", async () => a.out.stdout.includes("tick\n"));
    expect((await b.berth(["kill", "-s", "TERM", "att"])).code).toBe(0);
    expect(await a.done).toBe(3);
    expect(a.out.stdout.endsWith("bye\n")).toBe(true);
    expect(a.out.stderr).toBe("gone\n");
  }, 60_000);

  it("with a tty: input reaches the container, Ctrl-P Ctrl-Q detaches quietly and leaves it running", async () => {
    expect((await b.berth(["run", "-d", "-it", "--name", "ttyc", "busybox", "sh"])).code).toBe(0);
    // -d -it starts at once: nobody is waited for, and `run -d` returns once it has started.
    await until("running", async () => (JSON.parse((await b.berth(["inspect", "ttyc"])).stdout) as { State: { Running: boolean } }[])[0]!.State.Running);
    // The CLI in a terminal (util-linux `script`), typing into it.
    const child = spawn("script", ["-qfec", `exec ${process.execPath} ${path.join(ROOT, "cli/bin/berth.js")} attach ttyc`, "/dev/null"], {
      env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token, BERTH_HOME: b.home },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stdin.on("error", () => {});
    const done = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    // Typed until the shell in the container has run it (input flows only once the attach is up, in raw mode).
    await until("the command to run in the container", async () => {
      child.stdin.write("echo hi-$((6*7))\r");
      return (await b.berth(["logs", "ttyc"])).stdout.includes("hi-42");
    });
    child.stdin.write(Buffer.from([0x10, 0x11]));
    expect(await done).toBe(0);
    expect(out).not.toContain("berth:");
    const ps = await b.berth(["ps"]);
    expect(ps.stdout).toContain("ttyc");
    expect((await b.berth(["kill", "ttyc"])).code).toBe(0);
  }, 90_000);

  it("refuses a stopped container as docker does", async () => {
    await exited("att");
    const r = await b.berth(["attach", "att"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("You cannot attach to a stopped container, start it first");
    const none = await b.berth(["attach", "nosuchthing"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("No such container: nosuchthing");
  }, 60_000);
});
