import type { ErrorObject } from "ajv/dist/2019.js";
import { composeValidator } from "./schema-validator.js";
import { InvalidArgument } from "../errors.js";
import type { Path, Source } from "./source.js";

/** Throws the first schema error, named by file, line and key. */
export function validateSchema(doc: Record<string, unknown>, src: Source): void {
  const validate = composeValidator();
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
