import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { ROOT, startInstance, type Instance } from "./harness.js";
import { inspectOne } from "./lifecycle-helpers.js";

// run/create flags for the process and lifecycle: seen inside the container and in inspect.
let b: Instance;
let tmp: string;
beforeAll(async () => {
  b = await startInstance();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "berth-flags-"));
}, 120_000);
afterAll(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  if (b) await b.stop();
});

describe("run flags", () => {
  it("-e, --env-file, -w, --entrypoint, -h, -l, --label-file, --stop-signal: inside and in inspect", async () => {
    const envFile = path.join(tmp, "env");
    fs.writeFileSync(envFile, "# settings\n\nFROM_FILE=file value\nFROM_SHELL_VIA_FILE\nUNSET_IN_FILE\nA=overridden by -e\n");
    const labelFile = path.join(tmp, "labels");
    fs.writeFileSync(labelFile, "# team labels\nteam=core\ntier\n");
    const r = await b.berth(
      [
        "run", "--name", "flags", "--env-file", envFile, "-e", "A=1", "-e", "FROM_SHELL", "-e", "NOT_SET_ANYWHERE",
        "-w", "/data/work", "--entrypoint", "sh", "-h", "myhost", "-l", "app=web", "--label-file", labelFile,
        "--stop-signal", "SIGUSR1", "--stop-timeout", "3",
        "busybox", "-c", 'echo "$A|$FROM_SHELL|$FROM_FILE|$FROM_SHELL_VIA_FILE|${NOT_SET_ANYWHERE-unset}"; pwd; hostname',
      ],
      { env: { FROM_SHELL: "shell value", FROM_SHELL_VIA_FILE: "via file" } },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1|shell value|file value|via file|unset\n/data/work\nmyhost\n");
    expect(r.code).toBe(0);
    const i = await inspectOne(b, "flags");
    expect(i.Config.Env).toEqual(expect.arrayContaining(["A=1", "FROM_SHELL=shell value", "FROM_FILE=file value", "FROM_SHELL_VIA_FILE=via file"]));
    expect(i.Config.Env.some((e: string) => e.startsWith("NOT_SET_ANYWHERE") || e.startsWith("UNSET_IN_FILE"))).toBe(false);
    expect(i.Config).toMatchObject({
      WorkingDir: "/data/work",
      Entrypoint: ["sh"],
      Hostname: "myhost",
      Labels: { app: "web", team: "core", tier: "" },
      StopSignal: "SIGUSR1",
      StopTimeout: 3,
    });
    expect(i.Config.Cmd[0]).toBe("-c");
    expect(i.Path).toBe("sh");
    expect(i.HostConfig.RestartPolicy).toEqual({ Name: "no", MaximumRetryCount: 0 });
  }, 60_000);

  it("--env-file reaches Berth, not Node: a missing file is Berth's usage error, and the file's values stay out of the CLI's own environment", async () => {
    // Node 20 reads `--env-file` anywhere on its command line; the CLI's shebang ends Node's options first.
    const missing = path.join(tmp, "no-such.env");
    const r = await b.berth(["run", "--rm", "--env-file", missing, "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`--env-file: cannot read ${missing}: no such file or directory`);
    const direct = spawnSync(path.join(ROOT, "cli/bin/berth.js"), ["run", "--rm", "--env-file", missing, "busybox", "true"], {
      env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token },
      encoding: "utf8",
    });
    expect(direct.status).toBe(125);
    expect(direct.stderr).toContain("--env-file: cannot read");
    // A file that sets BERTH_URL must not redirect the CLI itself.
    const envFile = path.join(tmp, "redirect.env");
    fs.writeFileSync(envFile, "BERTH_URL=http://127.0.0.1:9\nSEEN=yes\n");
    const ok = spawnSync(path.join(ROOT, "cli/bin/berth.js"), ["run", "--rm", "--env-file", envFile, "busybox", "sh", "-c", "echo $SEEN"], {
      env: { ...process.env, BERTH_URL: b.url, BERTH_TOKEN: b.token },
      encoding: "utf8",
    });
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toBe("yes\n");
  });

  it("--entrypoint drops the image's CMD; an empty one clears the entrypoint", async () => {
    const echo = await b.berth(["run", "--rm", "--entrypoint", "echo", "busybox", "hi"]);
    expect(echo.stdout).toBe("hi\n");
    // busybox's image has CMD ["sh"]: with --entrypoint echo and no command, echo runs alone.
    const alone = await b.berth(["run", "--rm", "--entrypoint", "echo", "busybox"]);
    expect(alone.stdout).toBe("\n");
    const cleared = await b.berth(["run", "--rm", "--entrypoint", "", "busybox", "echo", "plain"]);
    expect(cleared.stdout).toBe("plain\n");
  }, 60_000);

  it("stop uses --stop-signal: a trap for it sees it", async () => {
    const id = (await b.berth(["run", "-d", "--name", "usr1", "--stop-signal", "USR1", "busybox", "sh", "-c", 'trap "echo got USR1; exit 0" USR1; echo ready; while true; do sleep 0.1; done'])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const end = Date.now() + 30_000;
    while (!(await b.berth(["logs", "usr1"])).stdout.includes("ready") && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect((await b.berth(["stop", "usr1"])).code).toBe(0);
    expect((await b.berth(["logs", "usr1"])).stdout).toBe("ready\ngot USR1\n");
    expect((await inspectOne(b, "usr1")).State.ExitCode).toBe(0);
  }, 60_000);

  it("bad values are usage errors naming the flag (exit 125); a taken name is Docker's conflict", async () => {
    // (A missing --env-file is not tried here: Node 20 itself reads --env-file anywhere in argv and exits 9.)
    const file = await b.berth(["run", "--label-file", path.join(tmp, "nope"), "busybox", "true"]);
    expect(file.code).toBe(125);
    expect(file.stderr).toContain("--label-file: cannot read");
    const wd = await b.berth(["run", "-w", "relative", "busybox", "true"]);
    expect(wd.code).toBe(125);
    expect(wd.stderr).toContain("--workdir");
    const sig = await b.berth(["run", "--stop-signal", "NOPE", "busybox", "true"]);
    expect(sig.code).toBe(125);
    expect(sig.stderr).toContain("invalid signal: NOPE");
    const id = (await inspectOne(b, "flags")).Id as string;
    const taken = await b.berth(["run", "--name", "flags", "busybox", "true"]);
    expect(taken.code).toBe(125);
    expect(taken.stderr.trim()).toBe(
      `berth: Conflict. The container name "/flags" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
    const created = await b.berth(["create", "--name", "flags", "busybox", "true"]);
    expect(created.code).toBe(125);
    expect(created.stderr).toContain('The container name "/flags" is already in use');
  }, 60_000);

  it("start of a running container prints its name and changes nothing; run -d then start at once runs it once", async () => {
    const id = (await b.berth(["run", "-d", "--name", "once", "busybox", "sh", "-c", "echo started; sleep 1000"])).stdout.trim();
    const s = await b.berth(["start", "once"]);
    expect(s.stderr).toBe("");
    expect(s.stdout).toBe("once\n");
    expect(s.code).toBe(0);
    const end = Date.now() + 30_000;
    while (!(await inspectOne(b, "once")).State.Running && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect((await b.berth(["start", "once"])).stdout).toBe("once\n");
    expect((await b.berth(["logs", "once"])).stdout).toBe("started\n");
    expect((await b.berth(["rm", "-f", id])).code).toBe(0);
  }, 60_000);
});
