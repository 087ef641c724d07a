import { InvalidArgumentError, type Command } from "commander";
import { action } from "../action.js";
import type { RepoSummary } from "../api.js";
import { ellipsis, table } from "../format.js";

export interface SearchArgs {
  term: string;
  limit?: number;
}

/** Like `docker search`: NAME, DESCRIPTION, then Berth's VISIBILITY. */
export function searchTable(repos: RepoSummary[]): string {
  return table(
    ["NAME", "DESCRIPTION", "VISIBILITY"],
    repos.map((r) => [r.name, ellipsis(r.description.replace(/\s+/g, " "), 45), r.public ? "public" : "private"]),
  );
}

export async function search(a: SearchArgs): Promise<void> {
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const found = await connect().api.search.query.query({ q: a.term });
  await write(process.stdout, searchTable(a.limit ? found.slice(0, a.limit) : found));
}

export function register(program: Command, handler: (a: SearchArgs) => Promise<number | void> = search): Command {
  return program
    .command("search")
    .description("Search the registry's repositories by name and description")
    .usage("[OPTIONS] TERM")
    .argument("<term>", "text to look for")
    .option("--limit <n>", "at most this many results", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`invalid --limit "${v}": want a positive whole number`);
      return n;
    })
    .action(action("other", (term: string, opts: { limit?: number }) => handler({ term, ...(opts.limit ? { limit: opts.limit } : {}) })));
}
