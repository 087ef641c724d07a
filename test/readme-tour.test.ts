/**
 * README's CLI tour runs top to bottom as written, against a real Berth through the real `berth`
 * command: the sh blocks of "## CLI tour" (up to "## Building images") and the first block of
 * "## Networking", line by line (a `\` joins lines), in one working directory. A line whose
 * comment says "fails" must fail, one that says "exit code N" must exit N; every other line must
 * succeed. Interactive lines get "exit" on their stdin, as a user would type it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT, useInstance, type RunResult } from "./harness.js";

const b = useInstance();
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The ```sh blocks of a part of README. */
function blocks(part: string): string[] {
  return [...part.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function section(start: string, end: string): string {
  const i = readme.indexOf(start);
  const j = readme.indexOf(end, i + start.length);
  if (i < 0 || j < 0) throw new Error(`README has no section from "${start}" to "${end}": the tour test reads it`);
  return readme.slice(i, j);
}

/** Command lines (continuations joined), each with what its comment promises. */
function commands(block: string): { line: string; expect: "ok" | "fails" | number }[] {
  const joined = block.replace(/\\\n\s*/g, "");
  return joined
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      // The comment starts at a `#` after whitespace, outside quotes (none of the tour's quotes hold one).
      const m = /^(.*?)\s+#\s(.*)$/.exec(l);
      const [line, comment] = m ? [m[1]!, m[2]!] : [l, ""];
      const code = /\bexit code (\d+)\b/.exec(comment);
      return { line: line.trim(), expect: code ? Number(code[1]) : /\bfails\b/.test(comment) ? "fails" : "ok" };
    });
}

const tour = [...blocks(section("## CLI tour", "## Building images")), blocks(section("## Networking", "## Volumes"))[0]!].flatMap(commands);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "berth-tour-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function sh(line: string, bin: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", line], {
      cwd: work,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, BERTH_URL: b.url, BERTH_TOKEN: b.token },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end("exit\n");
  });
}

it("has the commands it promises", () => {
  expect(tour.length).toBeGreaterThan(25);
  expect(tour.map((t) => t.line)).toContain("berth run --rm --network app busybox wget -qO- http://database/");
});

it("runs top to bottom as written", async () => {
  // `berth` on PATH is this checkout's CLI, as setup links it.
  const bin = path.join(work, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "berth"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} -- ${JSON.stringify(path.join(ROOT, "cli/bin/berth.js"))} "$@"\n`, { mode: 0o755 });
  for (const t of tour) {
    const r = await sh(t.line, bin);
    const what = `${t.line}\n  exit ${r.code}\n  stdout: ${r.stdout.slice(-800)}\n  stderr: ${r.stderr.slice(-800)}`;
    if (t.expect === "ok") expect(r.code, what).toBe(0);
    else if (t.expect === "fails") expect(r.code, what).not.toBe(0);
    else expect(r.code, what).toBe(t.expect);
    if (t.line.includes("wget -qO- http://database/")) expect(r.stdout, what).toBe("hello from db\n");
    if (t.line.includes("berth wait web")) expect(r.stdout, what).toMatch(/^137$/m);
  }
}, 600_000);
