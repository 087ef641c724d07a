import { parse } from "yaml";
import { z } from "zod";
import { InvalidArgument } from "../errors.js";
import { parseDuration } from "../duration.js";

/**
 * `berth.yaml` at the top of a repository: how Berth builds and serves its previews. Every key
 * is optional; an unknown one is an error naming it and the keys allowed there (a typo must not
 * silently fall back to a default).
 */
const Health = z.strictObject({
  /** Path the new web container must answer on before traffic moves to it. */
  path: z.string().startsWith("/", "health.path starts with /"),
  /** The status it must answer with (default: any HTTP answer below 500). */
  status: z.number().int().min(100).max(599).optional(),
});

const Web = z.strictObject({
  /** The service that takes the preview URL's traffic. */
  service: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  health: Health.optional(),
});

export const BerthYaml = z.strictObject({
  /** The compose file (default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml). */
  compose: z.string().min(1).optional(),
  /** A Dockerfile to build as the one service `web` (when there is no compose file). */
  dockerfile: z.string().min(1).optional(),
  web: Web.optional(),
  /** How long a preview lives after its last deploy, e.g. "72h". */
  ttl: z.string().min(1).optional(),
  /** A command run in a one-off container of the web service's new image before traffic moves to it. */
  release: z.string().min(1).optional(),
  /**
   * Data to test against: a compose volume of the preview → the team's volume it starts from (a
   * volume's name, or `env:staging[:volume]` for an environment's), as a copy-on-write snapshot
   * (made once, when the preview first needs it; its writes stay in it).
   */
  data: z.record(z.string().min(1), z.string().min(1)).optional(),
});
export type BerthYaml = z.infer<typeof BerthYaml>;

/** The keys allowed at each place in the file, for the unknown-key error. */
const SHAPES: Record<string, string[]> = {
  "": Object.keys(BerthYaml.shape),
  web: Object.keys(Web.shape),
  "web.health": Object.keys(Health.shape),
};

/** Parses and checks berth.yaml's text; `file` names it in errors. */
export function parseBerthYaml(text: string, file = "berth.yaml"): BerthYaml & { ttlMs?: number } {
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (err) {
    throw new InvalidArgument(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new InvalidArgument(`${file}: expected a mapping of keys (${SHAPES[""]!.join(", ")})`);
  const r = BerthYaml.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const at = issue.path.join(".");
    if (issue.code === "unrecognized_keys") {
      const where = at ? `under ${at}` : "at the top level";
      const keys = issue.keys.map((k) => (at ? `${at}.${k}` : k));
      throw new InvalidArgument(`${file}: unknown key ${keys.map((k) => `"${k}"`).join(", ")} ${where}: the keys allowed there are ${(SHAPES[at] ?? []).join(", ")}`);
    }
    throw new InvalidArgument(`${file}: ${at || "the file"}: ${issue.message}`);
  }
  const out: BerthYaml & { ttlMs?: number } = r.data;
  if (out.ttl !== undefined) {
    out.ttlMs = parseDuration(out.ttl, `${file}: ttl`);
    if (out.ttlMs < 60_000) throw new InvalidArgument(`${file}: ttl "${out.ttl}" is shorter than a minute: write e.g. 72h`);
  }
  return out;
}
