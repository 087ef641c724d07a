/** The run dialog's text fields as `run` options (the server validates them again). */

export interface PortMapping {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

/** "8080:80, 127.0.0.1:5353:53/udp, 3000" as Docker's -p says them (a lone port: a random host port). */
export function parsePorts(text: string): PortMapping[] {
  return text
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((spec) => {
      const [addr, proto = "tcp"] = spec.split("/");
      if (proto !== "tcp" && proto !== "udp") throw new Error(`port "${spec}": the protocol is tcp or udp`);
      const parts = addr!.split(":");
      const num = (s: string | undefined, what: string) => {
        const n = Number(s);
        if (!s || !Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`port "${spec}": ${what} must be a number from 0 to 65535`);
        return n;
      };
      if (parts.length === 1) return { hostPort: 0, containerPort: num(parts[0], "the container port"), protocol: proto };
      if (parts.length === 2) return { hostPort: parts[0] ? num(parts[0], "the host port") : 0, containerPort: num(parts[1], "the container port"), protocol: proto };
      if (parts.length === 3) return { hostIp: parts[0], hostPort: parts[1] ? num(parts[1], "the host port") : 0, containerPort: num(parts[2], "the container port"), protocol: proto };
      throw new Error(`port "${spec}": use HOST:CONTAINER, IP:HOST:CONTAINER or CONTAINER`);
    });
}

/** KEY=value lines; blank lines are skipped. */
export function parseEnv(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      if (!/^[^=\s]+=/.test(l)) throw new Error(`environment line "${l}": use KEY=value`);
      return l;
    });
}
