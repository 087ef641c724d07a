import { randomBytes } from "node:crypto";
import { FailedPrecondition } from "@berth/core";
import { type ComposeProject, LABEL, runRequest } from "@berth/core/compose";
import type { Services } from "../services.js";
import type { Actor } from "../policy/index.js";
import { runContainer } from "../containers/run.js";
import { removeContainer } from "../containers/lifecycle.js";
import { readLogs } from "../containers/logs.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RELEASE_TIMEOUT_MS = 10 * 60_000;

/**
 * berth.yaml's `release` (Heroku's release phase): `sh -c COMMAND` in a one-off container of the
 * web service (its new image, environment and networks, so it reaches the stack's database by
 * name), before traffic moves to the new version. Its output goes to `onLine`; a non-zero exit
 * stops the deploy with the old version still serving.
 */
export async function runRelease(s: Services, actor: Actor, project: ComposeProject, service: string, command: string, onLine: (line: string) => void): Promise<void> {
  const req = runRequest(project, project.services[service]!, 1);
  const labels = { ...(req.options?.labels ?? {}) };
  // Not one of the service's replicas: converge and the edge must not count it.
  for (const l of Object.values(LABEL)) delete labels[l];
  const { healthcheck: _h, restart: _r, ...options } = req.options ?? {};
  const name = `${project.name}-release-${randomBytes(3).toString("hex")}`;
  const made = await runContainer(s, actor, { image: req.image, cmd: ["sh", "-c", command], name, options: { ...options, labels } as typeof req.options, detach: true });
  try {
    const end = Date.now() + RELEASE_TIMEOUT_MS;
    let row;
    for (;;) {
      row = await s.db.container.findUnique({ where: { id: made.id }, select: { state: true, exitCode: true, error: true } });
      if (!row || row.state === "exited" || row.state === "dead") break;
      if (Date.now() > end) throw new FailedPrecondition(`the release command did not finish in ${RELEASE_TIMEOUT_MS / 60_000} minutes`);
      await sleep(100);
    }
    // The exit entry closes the log stream: wait for it so no line is missed.
    let entries = (await readLogs(s.redis, made.id)).entries;
    for (let i = 0; i < 50 && !entries.some((e) => e.stream === "exit"); i++) {
      await sleep(100);
      entries = (await readLogs(s.redis, made.id)).entries;
    }
    for (const e of entries) if (e.stream !== "exit") onLine(e.line);
    if (!row || row.exitCode !== 0) throw new FailedPrecondition(`the release command \`${command}\` exited ${row?.exitCode ?? "?"}${row?.error ? `: ${row.error}` : ""}`);
  } finally {
    await removeContainer(s, actor.team.id, made.id, true).catch(() => {});
  }
}
