import { InvalidArgument } from "../errors.js";
import type { ComposeProject } from "./model.js";

/**
 * The services to bring up, dependencies first: the ones asked for (all when none) and, as
 * Compose does, everything they depend on. A cycle or an unknown name is the file's error.
 */
export function startOrder(project: ComposeProject, wanted: string[]): string[] {
  for (const w of wanted) if (!project.services[w]) throw new InvalidArgument(`no such service: ${w}`);
  const out: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    const svc = project.services[name];
    if (!svc) throw new InvalidArgument(`service "${path[path.length - 1]}" depends on undefined service "${name}"`);
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") throw new InvalidArgument(`dependency cycle between services: ${[...path.slice(path.indexOf(name)), name].join(" -> ")}`);
    state.set(name, "visiting");
    for (const dep of Object.keys(svc.dependsOn).sort()) visit(dep, [...path, name]);
    state.set(name, "done");
    out.push(name);
  };
  for (const name of wanted.length ? wanted : Object.keys(project.services).sort()) visit(name, []);
  return out;
}

/** `order` (dependencies first) grouped: each service one level after the deepest of its dependencies. */
export function dependencyLevels(project: ComposeProject, order: string[]): string[][] {
  const level = new Map<string, number>();
  for (const name of order) level.set(name, 1 + Math.max(-1, ...Object.keys(project.services[name]!.dependsOn).map((dep) => level.get(dep) ?? -1)));
  const out: string[][] = [];
  for (const name of order) (out[level.get(name)!] ??= []).push(name);
  return out;
}
