import { spawn } from "node:child_process";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startInstance, type Instance, type RunResult } from "./harness.js";

// exec and attach end to end: CLI ─socket.io─▶ web ─/agent─▶ worker ─▶ native exec / the container's pty.
const CLI = path.join(ROOT, "cli/bin/berth.js");
let b: Instance;

beforeAll(async () => {
  b = await startInstance();
});
afterAll(async () => {
  await b?.stop();
});

const env = () => ({ ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token, BERTH_HOME: b.home });

/** Runs a program with `input` on its stdin; stdin stays open until the program exits unless `endInput`. */
function runWithInput(cmd: string, args: string[], input: string, endInput: boolean, timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: env(), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {});
    child.stdin.write(input);
    if (endInput) child.stdin.end();
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CLI inside a terminal (util-linux `script`), `setup` run in the outer shell first. */
function inTerminal(berthArgs: string, input = "", setup = "true"): Promise<RunResult> {
  const line = `${setup}; exec ${process.execPath} ${CLI} ${berthArgs}`;
  return runWithInput("script", ["-qfec", line, "/dev/null"], input, false);
}

/** `run -d` returns before the worker started the container: wait until exec can join it. */
async function untilRunning(name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const r = await b.berth(["exec", name, "true"]);
    if (r.code === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`container ${name} never ran`);
}

describe("berth exec", () => {
  beforeAll(async () => {
    const r = await b.berth(["run", "-d", "--name", "box", "busybox", "sh", "-c", "echo from-the-container > /tmp/marker; exec sleep 100"]);
    expect(r.code).toBe(0);
    await untilRunning("box");
  });

  it("sees the container's processes", async () => {
    const r = await b.berth(["exec", "box", "ps"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/sleep 100/);
    expect(r.code).toBe(0);
  });

  it("sees the container's files", async () => {
    const r = await b.berth(["exec", "box", "sh", "-c", "while [ ! -f /tmp/marker ]; do sleep 0.1; done; cat /tmp/marker"]);
    expect(r.stdout).toBe("from-the-container\n");
    expect(r.code).toBe(0);
  });

  it("passes the exit code through", async () => {
    const r = await b.berth(["exec", "box", "sh", "-c", "echo err >&2; exit 5"]);
    expect(r.stderr).toBe("err\n");
    expect(r.code).toBe(5);
  });

  it("exits 127 for a command that does not exist", async () => {
    const r = await b.berth(["exec", "box", "no-such-command"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/no-such-command/);
  });

  it("applies -u, -w and -e", async () => {
    const r = await b.berth(["exec", "-u", "1000:1000", "-w", "/tmp", "-e", "GREETING=hi there", "box", "sh", "-c", 'echo "$(id -u):$(id -g) $(pwd) $GREETING"']);
    expect(r.stdout).toBe("1000:1000 /tmp hi there\n");
    expect(r.code).toBe(0);
  });

  it("-i relays piped stdin", async () => {
    const r = await runWithInput(process.execPath, [CLI, "exec", "-i", "box", "cat"], "hi\n", true);
    expect(r.stdout).toBe("hi\n");
    expect(r.code).toBe(0);
  });

  it("-t gives the command a terminal of the client's size", async () => {
    const r = await inTerminal("exec -it box stty size", "", "stty cols 77 rows 22");
    expect(r.stdout).toMatch(/^22 77\r?$/m);
    expect(r.code).toBe(0);
  });

  it("refuses a container that is not running, with a clear error", async () => {
    const done = await b.berth(["run", "--name", "finished", "busybox", "true"]);
    expect(done.code).toBe(0);
    const r = await b.berth(["exec", "finished", "true"]);
    expect(r.stderr).toMatch(/container finished is not running/);
    expect(r.code).toBe(1);
  });

  it("refuses a container that does not exist", async () => {
    const r = await b.berth(["exec", "no-such-container", "true"]);
    expect(r.stderr).toMatch(/No such container: no-such-container/);
    expect(r.code).toBe(1);
  });
});

/** A raw socket.io client of the default namespace (what the CLI and the dashboard use). */
function clientSocket(): Promise<Socket> {
  const socket = io(b.url, { auth: { token: b.token }, reconnection: false, transports: ["websocket"] });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

async function psOutput(): Promise<string> {
  const r = await b.berth(["exec", "box", "ps"]);
  expect(r.code).toBe(0);
  return r.stdout;
}

describe("the terminal protocol", () => {
  it("web refuses an agent without the host key", async () => {
    const agent = io(`${b.url}/agent`, { auth: { hostId: "intruder", key: "wrong" }, reconnection: false, transports: ["websocket"] });
    const err = await new Promise<Error>((resolve, reject) => {
      agent.once("connect_error", resolve);
      agent.once("connect", () => reject(new Error("an agent without the key was accepted")));
    });
    agent.disconnect();
    expect(err.message).toMatch(/unauthorized/);
  });

  it("a resize reaches the program (SIGWINCH, new size)", async () => {
    const socket = await clientSocket();
    try {
      let out = "";
      let session = "";
      const exit = new Promise<number | null>((resolve) =>
        socket.on("exec:exit", (m: { session: string; exitCode: number | null }) => {
          if (m.session === session) resolve(m.exitCode);
        }),
      );
      const ready = new Promise<void>((resolve) =>
        socket.on("exec:data", (m: { session: string; data: Buffer }) => {
          out += Buffer.from(m.data).toString("utf8");
          if (out.includes("ready")) resolve();
        }),
      );
      const ack = (await socket.emitWithAck("exec:start", {
        containerId: "box",
        cmd: ["sh", "-c", 'trap "stty size; exit 0" WINCH; echo ready; while true; do sleep 0.1; done'],
        tty: true,
        interactive: true,
        cols: 80,
        rows: 24,
      })) as { session?: string; error?: string };
      expect(ack.error).toBeUndefined();
      session = ack.session!;
      await ready;
      socket.emit("exec:resize", { session, cols: 101, rows: 33 });
      expect(await exit).toBe(0);
      expect(out).toMatch(/33 101/);
    } finally {
      socket.disconnect();
    }
  });

  it("a client that goes away takes its exec'd process with it", async () => {
    const socket = await clientSocket();
    let session = "";
    const started = new Promise<void>((resolve) => socket.on("exec:data", () => resolve()));
    const ack = (await socket.emitWithAck("exec:start", { containerId: "box", cmd: ["sh", "-c", "echo up; exec sleep 301"] })) as { session?: string };
    session = ack.session!;
    expect(session).toBeTruthy();
    await started;
    expect(await psOutput()).toMatch(/sleep 301/);
    socket.disconnect();
    let gone = false;
    for (let i = 0; i < 200 && !gone; i++) {
      gone = !/sleep 301/.test(await psOutput());
      if (!gone) await new Promise((r) => setTimeout(r, 100));
    }
    expect(gone).toBe(true);
  });
});

describe("berth run -it", () => {
  it("attaches the terminal, exits with the container's code, and logs the output", async () => {
    // `echo hel""lo` prints hello; the terminal's echo of the typed line does not contain it.
    const r = await inTerminal("run -it --name shell busybox sh", 'echo hel""lo; exit 3\n');
    expect(r.stdout).toMatch(/^hello\r?$/m);
    expect(r.code).toBe(3);
    const logs = await b.berth(["logs", "shell"]);
    expect(logs.stdout).toMatch(/^hello$/m);
  });

  it("-i without -t relays piped stdin to the container", async () => {
    const r = await runWithInput(process.execPath, [CLI, "run", "-i", "--rm", "busybox", "sh", "-c", "read x; echo got $x; exit 4"], "abc\n", true);
    expect(r.stdout).toBe("got abc\n");
    expect(r.code).toBe(4);
  });
});
