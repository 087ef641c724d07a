import type { Command } from "commander";
import { action } from "../action.js";

// ---- run/create flags: --network, --network-alias, -p ------------------------------------------

export interface NetworkFlags {
  network?: string;
  networkAlias?: string[];
  publish?: string[];
  publishAll?: boolean;
  addHost?: string[];
}

/** Adds Docker's networking flags to run and create. */
export function networkFlags(cmd: Command): Command {
  return cmd
    .option("--network <network>", "connect the container to a network: bridge (default), host, none or a network's name")
    .option("--network-alias <alias>", "add a network-scoped alias for the container (repeatable)", collect)
    .option("-p, --publish <spec>", "publish a container's port to the host: [ip:][hostPort:]containerPort[/tcp|udp] (repeatable)", collect)
    .option("-P, --publish-all", "publish every port the image exposes to a free host port")
    .option("--add-host <host:ip>", "add a line to /etc/hosts: HOST:IP, or HOST:host-gateway for the host (repeatable)", collect);
}

/** The flags as ContainerOptions fields; a bad -p is a usage error naming it. */
export async function networkOptions(f: NetworkFlags) {
  if (f.network === undefined && !f.networkAlias?.length && !f.publish?.length && !f.publishAll && !f.addHost?.length) return {};
  const [{ parsePublish, parseExtraHost }, { CliError }] = await Promise.all([import("@berth/core"), import("../errors.js")]);
  const usage = <T>(parse: (s: string) => T) => (spec: string) => {
    try {
      return parse(spec);
    } catch (e) {
      throw new CliError("USAGE", (e as Error).message);
    }
  };
  const publish = (f.publish ?? []).map(usage(parsePublish));
  const extraHosts = (f.addHost ?? []).map(usage(parseExtraHost));
  return {
    ...(f.network !== undefined ? { network: f.network } : {}),
    ...(f.networkAlias?.length ? { networkAliases: f.networkAlias } : {}),
    ...(publish.length ? { publish } : {}),
    ...(f.publishAll ? { publishAll: true } : {}),
    ...(extraHosts.length ? { extraHosts } : {}),
  };
}

// No default ([]): flags not given stay absent from the parsed options.
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

// ---- berth network … -------------------------------------------------------------------------

export interface NetworkHandlers {
  create(a: { name: string; subnet?: string; gateway?: string; driver?: string; labels: string[] }): Promise<number | void>;
  ls(a: { quiet: boolean }): Promise<number | void>;
  inspect(a: { names: string[]; format?: string }): Promise<number | void>;
  rm(a: { names: string[] }): Promise<number | void>;
  prune(a: { force: boolean }): Promise<number | void>;
  connect(a: { network: string; container: string; aliases: string[] }): Promise<number | void>;
  disconnect(a: { network: string; container: string; force: boolean }): Promise<number | void>;
}

async function session() {
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  return { s: connect(), write };
}

export const handlers: NetworkHandlers = {
  async create(a) {
    const { s, write } = await session();
    const labels: Record<string, string> = {};
    for (const l of a.labels) {
      const i = l.indexOf("=");
      labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? "" : l.slice(i + 1);
    }
    if (a.driver !== undefined && a.driver !== "bridge") {
      const { CliError } = await import("../errors.js");
      throw new CliError("USAGE", `plugin "${a.driver}" not found: only the bridge driver exists`);
    }
    const { id } = await s.api.network.create.mutate({ name: a.name, labels, ...(a.subnet ? { subnet: a.subnet } : {}), ...(a.gateway ? { gateway: a.gateway } : {}) });
    await write(process.stdout, id + "\n");
  },
  async ls(a) {
    const [{ s, write }, { table }] = await Promise.all([session(), import("../format.js")]);
    const nets = await s.api.network.list.query();
    if (a.quiet) return void (await write(process.stdout, nets.map((n) => n.Id.slice(0, 12) + "\n").join("")));
    await write(process.stdout, table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"], nets.map((n) => [n.Id.slice(0, 12), n.Name, n.Driver, n.Scope])));
  },
  async inspect(a) {
    if (a.format !== undefined) return (await import("./inspect.js")).inspect({ containers: a.names, format: a.format, type: "network" });
    const { s, write } = await session();
    await write(process.stdout, JSON.stringify(await s.api.network.inspect.query({ names: a.names }), null, 4) + "\n");
  },
  async rm(a) {
    const [{ s, write }, { toCliError }] = await Promise.all([session(), import("../errors.js")]);
    let status = 0;
    for (const name of a.names) {
      try {
        await s.api.network.remove.mutate({ names: [name] });
        await write(process.stdout, name + "\n");
      } catch (err) {
        const e = toCliError(err, s.url);
        if (e.code === "CONNECTION" || e.code === "UNAUTHORIZED" || e.code === "NO_CREDENTIALS") throw e;
        await write(process.stderr, `berth: Error response from daemon: ${e.message}\n`);
        status = 1;
      }
    }
    return status;
  },
  async prune(a) {
    const { confirm } = await import("../confirm.js");
    if (!a.force && !(await confirm("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] "))) return;
    const { s, write } = await session();
    const gone = await s.api.network.prune.mutate();
    if (gone.length) await write(process.stdout, "Deleted Networks:\n" + gone.map((n) => n + "\n").join(""));
  },
  async connect(a) {
    const { s } = await session();
    await s.api.network.connect.mutate({ network: a.network, container: a.container, aliases: a.aliases });
  },
  async disconnect(a) {
    const { s } = await session();
    await s.api.network.disconnect.mutate({ network: a.network, container: a.container, force: a.force });
  },
};

export function register(program: Command, h: NetworkHandlers = handlers): Command {
  const net = program.command("network").description("Manage networks");
  net
    .command("create")
    .description("Create a network")
    .usage("[OPTIONS] NETWORK")
    .option("-d, --driver <driver>", "driver to manage the network (bridge)")
    .option("--subnet <cidr>", "subnet in CIDR format, e.g. 10.30.0.0/24")
    .option("--gateway <ip>", "IPv4 gateway for the subnet")
    .option("--label <label>", "set metadata on a network (repeatable)", collect, [])
    .argument("<name>")
    .action(action("other", (name: string, o: { driver?: string; subnet?: string; gateway?: string; label: string[] }) => h.create({ name, driver: o.driver, subnet: o.subnet, gateway: o.gateway, labels: o.label })));
  net
    .command("ls")
    .alias("list")
    .description("List networks")
    .option("-q, --quiet", "only display network IDs")
    .action(action("other", (o: { quiet?: boolean }) => h.ls({ quiet: !!o.quiet })));
  net
    .command("inspect")
    .description("Display detailed information on one or more networks")
    .option("-f, --format <template>", "format the output using the given Go template (or json)")
    .argument("<network...>")
    .action(action("other", (names: string[], o: { format?: string }) => h.inspect({ names, ...(o.format !== undefined ? { format: o.format } : {}) })));
  net
    .command("rm")
    .alias("remove")
    .description("Remove one or more networks")
    .argument("<network...>")
    .action(action("other", (names: string[]) => h.rm({ names })));
  net
    .command("prune")
    .description("Remove all unused networks")
    .option("-f, --force", "do not prompt for confirmation")
    .action(action("other", (o: { force?: boolean }) => h.prune({ force: !!o.force })));
  net
    .command("connect")
    .description("Connect a container to a network (a stopped one joins it at its next start)")
    .option("--alias <alias>", "add a network-scoped alias for the container (repeatable)", collect, [])
    .argument("<network>")
    .argument("<container>")
    .action(action("other", (network: string, container: string, o: { alias: string[] }) => h.connect({ network, container, aliases: o.alias })));
  net
    .command("disconnect")
    .description("Disconnect a container from a network")
    .option("-f, --force", "force the container to disconnect from a network")
    .argument("<network>")
    .argument("<container>")
    .action(action("other", (network: string, container: string, o: { force?: boolean }) => h.disconnect({ network, container, force: !!o.force })));
  return net;
}
