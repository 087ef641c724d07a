import type { Command } from "commander";
import { action } from "../action.js";

/** `berth preview ls|rm`: the current team's branch previews (a project's pushed branches that run). */
export function register(program: Command): Command {
  const cmd = program.command("preview").description("List and remove branch previews (pushing a branch to a project makes one)").usage("COMMAND").helpCommand(false);

  cmd
    .command("ls")
    .alias("list")
    .description("List the current team's previews: project, branch, commit, state and URL")
    .option("--format <format>", "json: one JSON array")
    .action(
      action("other", async (opts: { format?: string }) => {
        const [{ connect }, { write }, { table, ago }] = await Promise.all([import("../client.js"), import("../output.js"), import("../format.js")]);
        const rows = await connect().api.project.previews.query();
        if (opts.format === "json") return void (await write(process.stdout, `${JSON.stringify(rows)}\n`));
        const now = Date.now();
        await write(process.stdout, table(["PROJECT", "BRANCH", "COMMIT", "STATE", "URL", "UPDATED"], rows.map((p) => [p.project, p.branch, p.sha.slice(0, 12), p.state, p.url ?? "-", ago(p.updatedAt, now)])));
      }),
    );

  cmd
    .command("rm")
    .alias("remove")
    .description("Remove a branch's preview with its containers, volumes and route (the branch stays: its next push deploys again)")
    .argument("<project>", "the project")
    .argument("<branch>", "the branch, as git names it")
    .action(
      action("other", async (project: string, branch: string) => {
        const [{ connect }, { write }] = await Promise.all([import("../client.js"), import("../output.js")]);
        const r = await connect().api.project.removePreview.mutate({ name: project, branch });
        for (const l of r.lines) await write(process.stderr, `${l}\n`);
        await write(process.stdout, `${project} ${branch}\n`);
      }),
    );
  return cmd;
}
