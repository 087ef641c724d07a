import type { Db, PrismaClient } from "./db.js";
import { LABEL } from "./compose/labels.js";

/** A container of a stack, with the Compose labels it was created with. */
export interface StackContainer {
  row: Db.Container;
  service: string;
  number: number;
  hash: string;
}

function labelsOf(c: Db.Container): Record<string, string> {
  try {
    return ((JSON.parse(c.options || "{}") as { labels?: Record<string, string> }).labels ?? {}) as Record<string, string>;
  } catch {
    return {};
  }
}

/** The team's containers labelled with this stack's name, by service then replica number. */
export async function stackContainers(db: PrismaClient, teamId: string, stack: string): Promise<StackContainer[]> {
  // The label sits in the options JSON: narrow with a text match, then read the labels exactly.
  const rows = await db.container.findMany({ where: { teamId, options: { contains: LABEL.project } }, orderBy: { name: "asc" } });
  const out: StackContainer[] = [];
  for (const row of rows) {
    const l = labelsOf(row);
    if (l[LABEL.project] !== stack || !l[LABEL.service]) continue;
    out.push({ row, service: l[LABEL.service]!, number: Number(l[LABEL.number] ?? "1"), hash: l[LABEL.hash] ?? "" });
  }
  return out.sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
}
