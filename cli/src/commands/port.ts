import type { Command } from "commander";
import { action } from "../action.js";

export interface PortArgs {
  container: string;
  /** "80" or "80/udp": only that port's bindings, without the "80/tcp -> " prefix. */
  port?: string;
}

/** `docker port`: a running container's published ports, from inspect's NetworkSettings.Ports. */
export async function port(a: PortArgs): Promise<number | void> {
  const [{ connect }, { write }, { CliError }] = await Promise.all([import("../client.js"), import("../output.js"), import("../errors.js")]);
  const c = (await connect().api.container.inspect.query({ id: a.container })) as { NetworkSettings?: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> } };
  const ports = c.NetworkSettings?.Ports ?? {};
  if (a.port !== undefined) {
    const key = a.port.includes("/") ? a.port : `${a.port}/tcp`;
    const b = ports[key];
    if (!b?.length) throw new CliError("NOT_FOUND", `No public port '${key}' published for ${a.container}`);
    await write(process.stdout, b.map((x) => `${x.HostIp}:${x.HostPort}\n`).join(""));
    return;
  }
  const lines = Object.entries(ports).flatMap(([k, b]) => (b ?? []).map((x) => `${k} -> ${x.HostIp}:${x.HostPort}\n`));
  await write(process.stdout, lines.join(""));
}

export function register(program: Command, handler: (a: PortArgs) => Promise<number | void> = port): Command {
  return program
    .command("port")
    .description("List port mappings or a specific mapping for the container")
    .usage("CONTAINER [PRIVATE_PORT[/PROTO]]")
    .argument("<container>")
    .argument("[port]")
    .action(action("other", (container: string, p: string | undefined) => handler({ container, ...(p !== undefined ? { port: p } : {}) })));
}
