/**
 * The spec's variables in devcontainer.json strings, as the reference CLI substitutes them when
 * it reads the file: ${localEnv:NAME[:default]} (and its alias ${env:NAME}), ${localWorkspaceFolder},
 * ${localWorkspaceFolderBasename}, then, once workspaceFolder is known, ${containerWorkspaceFolder}
 * and ${containerWorkspaceFolderBasename}. Others (${containerEnv:…}, ${devcontainerId}) are
 * left as written: they are resolved in the container, not here.
 */
export interface LocalContext {
  env: Record<string, string | undefined>;
  /** The folder on this machine. */
  folder: string;
}

const basename = (p: string) => p.replace(/[/\\]+$/, "").split(/[/\\]/).at(-1) ?? "";

function substituteString(text: string, lookup: (name: string, arg: string | undefined) => string | undefined): string {
  return text.replace(/\$\{([^}:]+)(?::([^}]*))?\}/g, (whole, name: string, arg: string | undefined) => lookup(name, arg) ?? whole);
}

/** Every string in a JSON value, keys of mappings kept as written. */
function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === "string") return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

export function substituteLocal<T>(value: T, c: LocalContext): T {
  return mapStrings(value, (s) =>
    substituteString(s, (name, arg) => {
      if (name === "localEnv" || name === "env") {
        if (arg === undefined) return undefined;
        const i = arg.indexOf(":");
        const [key, fallback] = i < 0 ? [arg, ""] : [arg.slice(0, i), arg.slice(i + 1)];
        return c.env[key] ?? fallback;
      }
      if (name === "localWorkspaceFolder") return c.folder;
      if (name === "localWorkspaceFolderBasename") return basename(c.folder);
      return undefined;
    }),
  ) as T;
}

export function substituteContainer<T>(value: T, workspaceFolder: string): T {
  return mapStrings(value, (s) =>
    substituteString(s, (name) => {
      if (name === "containerWorkspaceFolder") return workspaceFolder;
      if (name === "containerWorkspaceFolderBasename") return basename(workspaceFolder);
      return undefined;
    }),
  ) as T;
}

/** A value naming the container's own environment: resolved in the container, at exec. */
export const CONTAINER_ENV = /\$\{containerEnv:[^}]+\}/;

/** Every string of a document Compose will read, with `$` doubled so Compose leaves it as written. */
export function escapeDollars<T>(value: T): T {
  return mapStrings(value, (s) => s.replace(/\$/g, "$$$$")) as T;
}

/**
 * remoteEnv for a process in the container: ${containerEnv:NAME[:default]} from the container's
 * environment (`NAME=value` entries, as inspect gives them), as the reference resolves it.
 */
export function resolveRemoteEnv(remoteEnv: Record<string, string>, containerEnv: string[]): Record<string, string> {
  const env = new Map(containerEnv.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
  return Object.fromEntries(
    Object.entries(remoteEnv).map(([k, v]) => [
      k,
      substituteString(v, (name, arg) => {
        if (name !== "containerEnv" || arg === undefined) return undefined;
        const i = arg.indexOf(":");
        const [key, fallback] = i < 0 ? [arg, ""] : [arg.slice(0, i), arg.slice(i + 1)];
        return env.get(key) ?? fallback;
      }),
    ]),
  );
}
