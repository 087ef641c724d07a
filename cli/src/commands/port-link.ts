import type { Command } from "commander";
import { action } from "../action.js";

async function deps() {
  const [{ connect }, { write }, { CliError }] = await Promise.all([import("../client.js"), import("../output.js"), import("../errors.js")]);
  return { s: connect(), write, CliError };
}

const VISIBILITIES = ["private", "team", "public"] as const;

function parsePort(text: string, CliError: new (kind: "USAGE", msg: string) => Error): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new CliError("USAGE", `"${text}" is not a port: use a number from 1 to 65535`);
  return port;
}

/**
 * `berth port-link …`: every port of a container answers on the edge at
 * http://<name>-<port>--<team>.<domain>:<edge port>/; these commands set who may open it.
 */
export function register(program: Command): Command {
  const pl = program.command("port-link").description("Manage port links (a container's ports on Berth's router)").usage("COMMAND");

  pl.command("ls")
    .alias("list")
    .description("List port links: published ports and ports given a visibility")
    .argument("[container]", "only this container's links")
    .option("--format <format>", "json: one JSON array")
    .action(
      action("other", async (container: string | undefined, opts: { format?: string }) => {
        const { s, write } = await deps();
        const rows = await s.api.portLink.list.query(container ? { container } : undefined);
        if (opts.format === "json") return void (await write(process.stdout, `${JSON.stringify(rows)}\n`));
        const { table } = await import("../format.js");
        await write(process.stdout, table(["CONTAINER", "PORT", "VISIBILITY", "URL"], rows.map((r) => [r.container, String(r.port), r.visibility, r.url])));
      }),
    );

  pl.command("set")
    .description("Set who may open a port link: private (team members who may exec; the default), team (every member) or public")
    .argument("<container>")
    .argument("<port>")
    .argument("<visibility>", VISIBILITIES.join("|"))
    .action(
      action("other", async (container: string, portText: string, visibility: string) => {
        const { s, write, CliError } = await deps();
        const port = parsePort(portText, CliError);
        if (!(VISIBILITIES as readonly string[]).includes(visibility)) throw new CliError("USAGE", `visibility "${visibility}" is not one of ${VISIBILITIES.join(", ")}`);
        const row = await s.api.portLink.set.mutate({ container, port, visibility: visibility as (typeof VISIBILITIES)[number] });
        await write(process.stdout, `${row.url} ${row.visibility}\n`);
      }),
    );

  pl.command("create")
    .description("Print a capability link: it opens this port for whoever holds it until it expires (as ?berth_link= once, then a cookie; or the header X-Berth-Link / Authorization: Bearer)")
    .argument("<container>")
    .argument("<port>")
    .option("--ttl <duration>", "how long the link works (e.g. 30m, 1h, 24h)", "1h")
    .option("--secret", "print only the secret (for a header in curl or CI)")
    .action(
      action("other", async (container: string, portText: string, opts: { ttl: string; secret?: boolean }) => {
        const { s, write, CliError } = await deps();
        const port = parsePort(portText, CliError);
        const link = await s.api.portLink.create.mutate({ container, port, ttl: opts.ttl });
        await write(process.stdout, `${opts.secret ? link.secret : link.url}\n`);
        if (!opts.secret) process.stderr.write(`expires ${link.expiresAt}\n`);
      }),
    );
  return pl;
}
