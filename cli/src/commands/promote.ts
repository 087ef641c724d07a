import type { Command } from "commander";
import { action } from "../action.js";

async function session() {
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  return { api: connect().api, out: (text: string) => write(process.stdout, text), err: (text: string) => write(process.stderr, text) };
}

/** The deploy's lines on stderr, the new release on stdout; exit 1 when it failed (the old release serves). */
async function report(io: Awaited<ReturnType<typeof session>>, r: { number: number; url: string | null; ok: boolean; error: string | null; lines: string[]; copiedTo: Record<string, string> | null }): Promise<number | undefined> {
  for (const l of r.lines) await io.err(`${l}\n`);
  if (!r.ok) return 1;
  // An environment that runs elsewhere: where each image now is, by digest.
  if (r.copiedTo) await io.out(`v${r.number}\n${Object.entries(r.copiedTo).map(([svc, at]) => `${svc}  → ${at}\n`).join("")}`);
  else await io.out(`v${r.number} ${r.url ?? ""}\n`);
  return undefined;
}

/**
 * `berth promote PROJECT --from staging --to production`: the source's live images, by digest and
 * not rebuilt, with the target's own config. `berth rollback PROJECT ENV [vN]`: an earlier
 * release's images and config, as a new release.
 */
export function register(program: Command): Command {
  program
    .command("promote")
    .description("Deploy one environment's live release to another: the same image digests, not rebuilt, with the target's own config")
    .argument("<project>")
    .requiredOption("--from <env>", "the environment whose live release goes (e.g. staging)")
    .requiredOption("--to <env>", "the environment it goes to (e.g. production)")
    .option("--release <vN>", "the source release you reviewed: refused if --from is at another one by now")
    .action(
      action("other", async (project: string, opts: { from: string; to: string; release?: string }) => {
        const io = await session();
        const release = opts.release === undefined ? undefined : (await import("./release.js")).vN(opts.release);
        return report(io, await io.api.releases.promote.mutate({ project, from: opts.from, to: opts.to, ...(release !== undefined ? { release } : {}) }));
      }),
    );

  program
    .command("rollback")
    .description("Deploy an earlier release of an environment again (its images and its config), as a new release")
    .argument("<project>")
    .argument("<env>")
    .argument("[release]", "vN (default: the release before the live one)")
    .action(
      action("other", async (project: string, env: string, release: string | undefined) => {
        const io = await session();
        const to = release === undefined ? undefined : (await import("./release.js")).vN(release);
        return report(io, await io.api.releases.rollback.mutate({ project, env, ...(to !== undefined ? { to } : {}) }));
      }),
    );
  return program;
}
