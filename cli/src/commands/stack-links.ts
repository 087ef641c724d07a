import type { Command } from "commander";
import { action } from "../action.js";
import { P_FLAG, P_HELP, F_FLAG, F_HELP, collect } from "./stack-flags.js";
import type { StackContext } from "./stack-ops.js";

const VISIBILITIES = ["private", "team", "public"] as const;
type Visibility = (typeof VISIBILITIES)[number];

async function deps() {
  const [{ connect }, { write }, { CliError }, { table }] = await Promise.all([import("../client.js"), import("../output.js"), import("../errors.js"), import("../format.js")]);
  return { s: connect(), write, CliError, table };
}

/** `SERVICE:PORT` as `stack ports --set` and `stack link` take it. */
function servicePort(text: string, CliError: new (kind: "USAGE", msg: string) => Error): { service: string; port: number } {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) throw new CliError("USAGE", `"${text}" is not SERVICE:PORT (e.g. web:8080, a port from 1 to 65535)`);
  return { service: m[1]!, port };
}

/**
 * `berth stack ports|link|freeze|thaw`: a stack's port links on the edge
 * (`<service>-<port>--<stack>--<team>.<domain>`) and who may open them, capability links, and the
 * idle freeze at once. The stack is named as every `stack` command names it (-p, or the directory).
 */
export function registerStackLinks(stack: Command, ctx: StackContext): void {
  stack
    .command("ports")
    .option(P_FLAG, P_HELP)
    .option(F_FLAG, F_HELP, collect, [] as string[])
    .description("List the stack's port links with their visibility, or change one with --set")
    .option("--set <link>", `SERVICE:PORT=${VISIBILITIES.join("|")}: who may open that link`)
    .option("--format <format>", "table or json", "table")
    .action(
      action("other", async (opts: { set?: string; format: string; projectName?: string; file: string[] }) => {
        const name = await ctx.name(opts);
        const { s, write, CliError, table } = await deps();
        if (opts.set !== undefined) {
          const eq = opts.set.lastIndexOf("=");
          const visibility = eq > 0 ? opts.set.slice(eq + 1) : "";
          if (!(VISIBILITIES as readonly string[]).includes(visibility)) throw new CliError("USAGE", `--set ${opts.set}: write SERVICE:PORT=VISIBILITY, VISIBILITY one of ${VISIBILITIES.join(", ")}`);
          const { service, port } = servicePort(opts.set.slice(0, eq), CliError);
          const row = await s.api.stack.setPort.mutate({ name, service, port, visibility: visibility as Visibility });
          return void (await write(process.stdout, opts.format === "json" ? `${JSON.stringify(row)}\n` : table(["SERVICE", "PORT", "VISIBILITY", "URL"], [[row.service, String(row.port), row.visibility, row.url]])));
        }
        const rows = await s.api.stack.ports.query({ name });
        if (opts.format === "json") return void (await write(process.stdout, `${JSON.stringify(rows)}\n`));
        await write(process.stdout, table(["SERVICE", "PORT", "VISIBILITY", "URL"], rows.map((r) => [r.service, String(r.port), r.visibility, r.url])));
      }),
    );

  stack
    .command("link")
    .option(P_FLAG, P_HELP)
    .option(F_FLAG, F_HELP, collect, [] as string[])
    .description("Print a capability link to one port of a service: it opens for whoever holds it until it expires (?berth_link= once, then a cookie; or the header X-Berth-Link)")
    .argument("<service:port>", "e.g. web:8080")
    .option("--ttl <duration>", "how long the link works (e.g. 30m, 1h, 24h)", "1h")
    .option("--secret", "print only the secret (for a header in curl or CI)")
    .action(
      action("other", async (target: string, opts: { ttl: string; secret?: boolean; projectName?: string; file: string[] }) => {
        const name = await ctx.name(opts);
        const { s, write, CliError } = await deps();
        const { service, port } = servicePort(target, CliError);
        const link = await s.api.stack.link.mutate({ name, service, port, ttl: opts.ttl });
        await write(process.stdout, `${opts.secret ? link.secret : link.url}\n`);
        if (!opts.secret) process.stderr.write(`expires ${link.expiresAt}\n`);
      }),
    );

  for (const verb of ["freeze", "thaw"] as const) {
    stack
      .command(verb)
      .option(P_FLAG, P_HELP)
      .option(F_FLAG, F_HELP, collect, [] as string[])
      .description(
        verb === "freeze"
          ? "Freeze the stack now (cgroup freezer): its processes keep their memory and connections; the next request through a link thaws it"
          : "Thaw a frozen stack now; its idle clock starts again",
      )
      .action(
        action("other", async (opts: { projectName?: string; file: string[] }) => {
          const name = await ctx.name(opts);
          const { s, write } = await deps();
          if (verb === "freeze") {
            const r = await s.api.stack.freeze.mutate({ name });
            await write(process.stderr, r.frozen ? ` Stack ${name}  Frozen (${r.frozen} container${r.frozen === 1 ? "" : "s"})\n` : ` Stack ${name}  Frozen already\n`);
          } else {
            const r = await s.api.stack.thaw.mutate({ name });
            await write(process.stderr, ` Stack ${name}  ${r.thawed ? "Thawed" : "Not frozen"}\n`);
          }
        }),
      );
  }
}
