import { Option, type Command } from "commander";
import { action } from "../action.js";
import type { RepoSummary } from "../api.js";
import { ago, ellipsis, table } from "../format.js";

export type RepoArgs =
  | { action: "ls"; quiet: boolean }
  | { action: "inspect"; names: string[] }
  | { action: "set"; name: string; public?: boolean; description?: string }
  | { action: "rm"; names: string[] };

/** `berth repo ls`: NAME, VISIBILITY, TAGS, UPDATED, DESCRIPTION. */
export function reposTable(repos: RepoSummary[], now: number): string {
  return table(
    ["REPOSITORY", "VISIBILITY", "TAGS", "UPDATED", "DESCRIPTION"],
    repos.map((r) => [r.name, r.public ? "public" : "private", String(r.tagCount), ago(r.updatedAt, now), ellipsis(r.description.replace(/\s+/g, " "), 45)]),
  );
}

export async function repo(a: RepoArgs): Promise<number | void> {
  const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
  const { api } = connect();
  switch (a.action) {
    case "ls": {
      const list = await api.repo.list.query();
      return write(process.stdout, a.quiet ? list.map((r) => r.name + "\n").join("") : reposTable(list, Date.now()));
    }
    case "inspect": {
      // Like `docker inspect`: a JSON array, every name that exists; a missing one fails the command at the end.
      const found = [];
      let failed: unknown;
      for (const name of a.names) {
        try {
          found.push(await api.repo.byName.query({ name }));
        } catch (e) {
          failed ??= e;
        }
      }
      await write(process.stdout, JSON.stringify(found, null, 4) + "\n");
      if (failed) throw failed;
      return;
    }
    case "set": {
      const r = await api.repo.set.mutate({ name: a.name, ...(a.public !== undefined ? { public: a.public } : {}), ...(a.description !== undefined ? { description: a.description } : {}) });
      return write(process.stdout, `${r.name}\n`);
    }
    case "rm":
      for (const name of a.names) {
        const r = await api.repo.remove.mutate({ name });
        await write(process.stdout, `${r.name}\n`);
      }
  }
}

export function register(program: Command, handler: (a: RepoArgs) => Promise<number | void> = repo): Command {
  const cmd = program.command("repo").description("Manage registry repositories").usage("COMMAND").helpCommand(false);
  cmd
    .command("ls")
    .alias("list")
    .description("List the repositories you can see")
    .usage("[OPTIONS]")
    .option("-q, --quiet", "only show repository names")
    .action(action("other", (opts: { quiet?: boolean }) => handler({ action: "ls", quiet: !!opts.quiet })));
  cmd
    .command("inspect")
    .description("Show details of one or more repositories, with their tags")
    .usage("NAME [NAME...]")
    .argument("<name...>", "repository, as NAMESPACE/NAME")
    .action(action("other", (names: string[]) => handler({ action: "inspect", names })));
  cmd
    .command("set")
    .description("Change a repository's visibility or description")
    .usage("[OPTIONS] NAME")
    .argument("<name>", "repository, as NAMESPACE/NAME")
    .addOption(new Option("--public", "anyone may pull it, and find it in search").conflicts("private"))
    .addOption(new Option("--private", "only its owner and admins see it").conflicts("public"))
    .option("--description <text>", "a short description (shown by search)")
    .action(
      action("other", async (name: string, opts: { public?: boolean; private?: boolean; description?: string }) => {
        const visibility = opts.public ? true : opts.private ? false : undefined;
        if (visibility === undefined && opts.description === undefined) {
          const { CliError } = await import("../errors.js");
          throw new CliError("USAGE", "repo set: nothing to change (give --public, --private or --description)");
        }
        return handler({ action: "set", name, ...(visibility !== undefined ? { public: visibility } : {}), ...(opts.description !== undefined ? { description: opts.description } : {}) });
      }),
    );
  cmd
    .command("rm")
    .alias("remove")
    .description("Remove one or more repositories with all their tags")
    .usage("NAME [NAME...]")
    .argument("<name...>", "repository, as NAMESPACE/NAME")
    .action(action("other", (names: string[]) => handler({ action: "rm", names })));
  return cmd;
}
