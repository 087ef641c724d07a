/** `docker version` and `docker info`, in Docker's layout and with Docker's --format fields. */
import type { Command } from "commander";
import { action } from "../action.js";

/** go-units BytesSize: binary units, 4 significant digits ("7.657GiB"). */
export function bytesSize(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

/** Docker's "Key: value" lines, every value at column 21 as `docker version` prints them. */
function block(indent: string, rows: [string, unknown][]): string {
  return rows.map(([k, v]) => `${indent}${`${k}:`.padEnd(20 - indent.length)}${String(v)}\n`).join("");
}

async function render(format: string, data: unknown): Promise<string> {
  const [{ renderTemplate }, { CliError }] = await Promise.all([import("../go-template-eval.js"), import("../errors.js")]);
  try {
    return renderTemplate(format === "json" ? "{{json .}}" : format, data) + "\n";
  } catch (e) {
    throw new CliError("USAGE", (e as Error).message);
  }
}

function clientVersion() {
  return { Os: process.platform, Arch: ({ x64: "amd64", ia32: "386" } as Record<string, string>)[process.arch] ?? process.arch, NodeVersion: process.version };
}

export async function versionCmd(format: string | undefined): Promise<number> {
  const [{ connect }, { write }, { version }, { toCliError }] = await Promise.all([import("../client.js"), import("../output.js"), import("../root-command.js"), import("../errors.js")]);
  const Client = { Version: version(), ...clientVersion() };
  const s = connect();
  let Server: Awaited<ReturnType<typeof s.api.system.version.query>> | null = null;
  let failure: string | undefined;
  try {
    Server = await s.api.system.version.query();
  } catch (err) {
    failure = toCliError(err, s.url).message;
  }
  if (format !== undefined) await write(process.stdout, await render(format, { Client, Server }));
  else {
    let out = "Client:\n" + block(" ", [["Version", Client.Version], ["Node version", Client.NodeVersion], ["OS/Arch", `${Client.Os}/${Client.Arch}`]]);
    if (Server) {
      out += "\nServer: Berth\n Engine:\n";
      out += block("  ", [["Version", Server.Version], ["Node version", Server.NodeVersion], ["OS/Arch", `${Server.Os}/${Server.Arch}`], ["Kernel", Server.KernelVersion]]);
    }
    await write(process.stdout, out);
  }
  if (failure) {
    await write(process.stderr, `berth: ${failure}\n`);
    return 1;
  }
  return 0;
}

export async function infoCmd(format: string | undefined): Promise<number> {
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const i = await connect().api.system.info.query();
  if (format !== undefined) {
    await write(process.stdout, await render(format, i));
    return 0;
  }
  const { version } = await import("../root-command.js");
  let out = "Client:\n" + block(" ", [["Version", version()], ["Context", "default"]]);
  out += "\nServer:\n";
  out += ` Containers: ${i.Containers}\n  Running: ${i.ContainersRunning}\n  Paused: ${i.ContainersPaused}\n  Stopped: ${i.ContainersStopped}\n`;
  out += ` Images: ${i.Images}\n`;
  out += [
    ["Server Version", i.ServerVersion],
    ["Storage Driver", i.Driver],
    ["Cgroup Driver", i.CgroupDriver],
    ["Cgroup Version", i.CgroupVersion],
    ["Kernel Version", i.KernelVersion],
    ["Operating System", i.OperatingSystem],
    ["OSType", i.OSType],
    ["Architecture", i.Architecture],
    ["CPUs", i.NCPU],
    ["Total Memory", bytesSize(i.MemTotal)],
    ["Name", i.Name],
    ["ID", i.ID],
    ["Docker Root Dir", i.DockerRootDir],
    ["Hosts", i.Hosts],
  ]
    .map(([k, v]) => ` ${k}: ${v}\n`)
    .join("");
  await write(process.stdout, out);
  return 0;
}

export function registerVersion(parent: Command, name = "version"): Command {
  return parent
    .command(name)
    .description("Show the Berth version information")
    .usage("[OPTIONS]")
    .option("-f, --format <template>", "format the output using the given Go template (or json)")
    .action(action("other", (o: { format?: string }) => versionCmd(o.format)));
}

export function registerInfo(parent: Command, name = "info"): Command {
  return parent
    .command(name)
    .description("Display system-wide information")
    .usage("[OPTIONS]")
    .option("-f, --format <template>", "format the output using the given Go template (or json)")
    .action(action("other", (o: { format?: string }) => infoCmd(o.format)));
}
