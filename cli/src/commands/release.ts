import type { Command } from "commander";
import { action } from "../action.js";

async function session() {
  const [{ connect }, { write }, { table, ago }] = await Promise.all([import("../client.js"), import("../output.js"), import("../format.js")]);
  return { api: connect().api, out: (text: string) => write(process.stdout, text), table, ago };
}

/** "v3" or "3" as a number. */
export function vN(text: string): number {
  const n = Number(/^[vV]?(\d{1,9})$/.exec(text.trim())?.[1] ?? NaN);
  if (!(n >= 1)) throw new Error(`"${text}" is not a release: write vN (e.g. v3), as berth release ls shows`);
  return n;
}
const digest = (d: string, full: boolean) => (full ? d : d.replace(/^sha256:/, "").slice(0, 12));
const images = (m: Record<string, string>, full: boolean) =>
  Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([svc, d]) => `${svc}=${digest(d, full)}`)
    .join(" ");

/** `berth release ls|show|diff`: an environment's numbered, immutable releases. */
export function register(program: Command): Command {
  const cmd = program.command("release").description("List, show and compare an environment's releases (images by digest, config version, who and why)").usage("COMMAND").helpCommand(false);

  cmd
    .command("ls")
    .alias("list")
    .description("List an environment's releases, newest first")
    .argument("<project>")
    .argument("<env>")
    .option("--no-trunc", "full image digests")
    .option("-n, --last <n>", "how many", "50")
    .option("--format <format>", "json: one JSON array")
    .action(
      action("other", async (project: string, env: string, opts: { trunc: boolean; last: string; format?: string }) => {
        const { api, out, table, ago } = await session();
        const rows = await api.releases.list.query({ project, env, limit: Number(opts.last) || 50 });
        if (opts.format === "json") return void (await out(`${JSON.stringify(rows)}\n`));
        const now = Date.now();
        await out(
          table(
            ["RELEASE", "STATE", "IMAGES", "COMMIT", "CONFIG", "REASON", "BY", "CREATED"],
            rows.map((r) => [`v${r.number}`, r.state, images(r.images, !opts.trunc), r.sha ? (opts.trunc ? r.sha.slice(0, 12) : r.sha) : "-", `v${r.configVersion}`, r.reason, r.createdByName, ago(r.createdAt, now)]),
          ),
        );
      }),
    );

  cmd
    .command("show")
    .description("Show one release: every image digest, health check, release command, config (secrets masked)")
    .argument("<project>")
    .argument("<env>")
    .argument("<release>", "vN")
    .option("--format <format>", "json: the release as JSON")
    .action(
      action("other", async (project: string, env: string, release: string, opts: { format?: string }) => {
        const { api, out } = await session();
        const r = await api.releases.show.query({ project, env, number: vN(release) });
        if (opts.format === "json") return void (await out(`${JSON.stringify(r)}\n`));
        const h = r.health;
        const health = h.kind === "http" ? `GET ${h.path}${h.status !== undefined ? ` → ${h.status}` : h.implicit ? " (any answer: no check configured)" : " → 2xx/3xx"}` : h.kind === "command" ? `command ${JSON.stringify(h.test)}` : "the image's HEALTHCHECK";
        const lines = [
          `release:   v${r.number} of ${project} ${env}`,
          `state:     ${r.state}${r.error ? `: ${r.error}` : ""}`,
          `reason:    ${r.reason}${r.source ? ` (from ${r.source})` : ""}`,
          `commit:    ${r.sha ?? "-"}`,
          `by:        ${r.createdByName} at ${r.createdAt}`,
          `deployed:  ${r.deployedAt ?? "-"}`,
          `images:`,
          ...Object.entries(r.images)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([svc, d]) => `  ${svc}  ${d}${r.copiedTo?.[svc] ? `  → ${r.copiedTo[svc]}` : ""}`),
          `health:    ${health}`,
          `release command: ${r.releaseCommand ?? "-"}`,
          `config:    version ${r.configVersion}${r.config.length ? "" : " (empty)"}`,
          ...r.config.map((c) => `  ${c.key}=${c.value}${c.secret ? "  (secret)" : ""}`),
        ];
        await out(lines.map((l) => `${l}\n`).join(""));
      }),
    );

  cmd
    .command("diff")
    .description("What changes from one release to another: image digests, config keys (never values), release command")
    .argument("<project>")
    .argument("<env>")
    .argument("<from>", "vA")
    .argument("<to>", "vB")
    .option("--format <format>", "json: the difference as JSON")
    .action(
      action("other", async (project: string, env: string, from: string, to: string, opts: { format?: string }) => {
        const { api, out } = await session();
        const d = await api.releases.diff.query({ project, env, from: vN(from), to: vN(to) });
        if (opts.format === "json") return void (await out(`${JSON.stringify(d)}\n`));
        const lines: string[] = [];
        for (const i of d.images) lines.push(`image ${i.service}: ${i.from ?? "(none)"} -> ${i.to ?? "(none)"}`);
        for (const c of d.config) lines.push(`config ${c.key}: ${c.change}`);
        if (d.releaseCommand) lines.push(`release command: ${d.releaseCommand.from ?? "(none)"} -> ${d.releaseCommand.to ?? "(none)"}`);
        if (!lines.length) lines.push(`v${vN(from)} and v${vN(to)} run the same images with the same config`);
        await out(lines.map((l) => `${l}\n`).join(""));
      }),
    );
  return cmd;
}
