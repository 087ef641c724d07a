import { InvalidArgument } from "../errors.js";
import { EdgeVisibilitySchema, type EdgeVisibility } from "../edge.js";

/** A forwarded port of the dev container: its port link, labelled and with the visibility asked for. */
export interface ForwardedPort {
  port: number;
  label?: string;
  visibility?: EdgeVisibility;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** portsAttributes keys are a port, a range "3000-3010", or (unsupported here) a pattern: the attributes of `port`. */
function attributesOf(attrs: Record<string, unknown>, port: number): Record<string, unknown> | undefined {
  for (const [key, v] of Object.entries(attrs)) {
    if (!isRecord(v)) continue;
    const range = /^(\d+)(?:-(\d+))?$/.exec(key.trim());
    if (range && port >= Number(range[1]) && port <= Number(range[2] ?? range[1])) return v;
  }
  return undefined;
}

/**
 * forwardPorts with portsAttributes' `label`, and Berth's visibility from
 * `customizations.berth.ports` (`{ "8080": "team" }`: private, team or public), as the spec keeps
 * a tool's own settings under customizations.<tool>.
 */
export function forwardedPorts(ports: number[], portsAttributes: unknown, berth: unknown, file: string): ForwardedPort[] {
  const attrs = isRecord(portsAttributes) ? portsAttributes : {};
  const vis = isRecord(berth) && isRecord(berth.ports) ? berth.ports : {};
  for (const [key, v] of Object.entries(vis)) {
    if (!/^\d+$/.test(key) || !ports.includes(Number(key))) throw new InvalidArgument(`${file}: customizations.berth.ports["${key}"]: name a port listed in forwardPorts`);
    if (!EdgeVisibilitySchema.safeParse(v).success) throw new InvalidArgument(`${file}: customizations.berth.ports["${key}"]: ${JSON.stringify(v)} is not a visibility: use private, team or public`);
  }
  return ports.map((port) => {
    const label = attributesOf(attrs, port)?.label;
    const visibility = vis[String(port)] as EdgeVisibility | undefined;
    return { port, ...(typeof label === "string" ? { label } : {}), ...(visibility ? { visibility } : {}) };
  });
}
