import { describe, expect, it, vi } from "vitest";
import { buildProgram, UsageExit, type Handlers } from "./program.js";

/** Parse argv with spy handlers; returns what each handler received and the usage exit, if any. */
async function parse(argv: string[]) {
  const calls: Record<string, unknown> = {};
  const spy = (name: keyof Handlers) => async (a: unknown) => void (calls[name] = a);
  const handlers: Handlers = { run: spy("run"), ps: spy("ps"), images: spy("images"), logs: spy("logs") };
  const program = buildProgram(handlers);
  const errors: string[] = [];
  const quiet = { writeOut: () => {}, writeErr: (s: string) => void errors.push(s) };
  program.configureOutput(quiet);
  for (const c of program.commands) c.configureOutput(quiet);
  let exit: number | undefined;
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (!(e instanceof UsageExit)) throw e;
    exit = e.exitCode;
  }
  return { calls, exit, errors };
}

describe("berth run argument parsing", () => {
  it("takes flags before IMAGE for itself and everything after IMAGE for the container", async () => {
    expect((await parse(["run", "--rm", "--name", "web", "busybox", "ls", "-la"])).calls.run).toEqual({
      image: "busybox",
      cmd: ["ls", "-la"],
      rm: true,
      name: "web",
      detach: false,
      flags: { capAdd: [], capDrop: [] },
    });
    expect((await parse(["run", "busybox", "sh", "-c", "exit 3"])).calls.run).toEqual({
      image: "busybox",
      cmd: ["sh", "-c", "exit 3"],
      rm: false,
      name: undefined,
      detach: false,
      flags: { capAdd: [], capDrop: [] },
    });
  });

  it("takes Docker's resource and security flags", async () => {
    const { calls } = await parse(["run", "-m", "64m", "--cpus", "0.5", "--pids-limit", "20", "--cap-add", "NET_ADMIN", "--cap-drop", "CHOWN", "--cap-drop", "KILL", "--read-only", "-u", "1000:1000", "--init", "busybox", "id"]);
    expect(calls.run).toMatchObject({
      image: "busybox",
      cmd: ["id"],
      flags: { memory: "64m", cpus: "0.5", pidsLimit: "20", capAdd: ["NET_ADMIN"], capDrop: ["CHOWN", "KILL"], readOnly: true, user: "1000:1000", init: true },
    });
  });

  it("passes berth's own flag names through when they come after IMAGE", async () => {
    const { calls } = await parse(["run", "busybox", "--rm", "--name", "x", "-d", "--help"]);
    expect(calls.run).toMatchObject({ image: "busybox", cmd: ["--rm", "--name", "x", "-d", "--help"], rm: false, detach: false });
  });

  it("runs the image's default command when none is given", async () => {
    expect((await parse(["run", "-d", "busybox"])).calls.run).toMatchObject({ image: "busybox", cmd: [], detach: true });
  });

  it("exits 125 on a usage error, like docker run", async () => {
    expect(await parse(["run"])).toMatchObject({ exit: 125, calls: {} });
    expect((await parse(["run", "--bogus", "busybox"])).exit).toBe(125);
  });
});

describe("other commands", () => {
  it("parse their flags", async () => {
    expect((await parse(["ps", "-a", "-q"])).calls.ps).toEqual({ all: true, quiet: true });
    expect((await parse(["ps"])).calls.ps).toEqual({ all: false, quiet: false });
    expect((await parse(["images", "-q"])).calls.images).toEqual({ quiet: true });
    expect((await parse(["logs", "-f", "web"])).calls.logs).toEqual({ container: "web", follow: true });
    expect((await parse(["logs", "web"])).calls.logs).toEqual({ container: "web", follow: false });
  });

  it("exit 125 on a bad flag (Docker's client), 1 on a missing argument or unknown command, 0 for --help and --version", async () => {
    expect((await parse(["ps", "--bogus"])).exit).toBe(125);
    expect((await parse(["logs"])).exit).toBe(1);
    expect((await parse(["nope"])).exit).toBe(1);
    expect((await parse(["ps", "--help"])).exit).toBe(0);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect((await parse(["--version"])).exit).toBe(0);
    } finally {
      out.mockRestore();
    }
  });
});
