import type { Command } from "commander";
import { action } from "../action.js";

async function session() {
  const [{ connect }, { write }, { table, ago }] = await Promise.all([import("../client.js"), import("../output.js"), import("../format.js")]);
  const s = connect();
  return { s, api: s.api, out: (text: string) => write(process.stdout, text), err: (text: string) => write(process.stderr, text), table, ago };
}

/** The project's git remote as this CLI reaches the server (the server's own BERTH_URL may differ). */
const remoteFor = (serverUrl: string, remote: string) => `${serverUrl.replace(/\/+$/, "")}${new URL(remote).pathname}`;

/**
 * `berth project …`: a project is a git repository on Berth; every branch pushed to it gets a
 * preview. `create` prints the remote to push to, with an API token as the password.
 */
export function register(program: Command): Command {
  const cmd = program.command("project").description("Manage projects: git repositories on Berth whose branches get previews").usage("COMMAND").helpCommand(false);

  cmd
    .command("create")
    .description("Create a project and print its git remote (push with an API token as the password)")
    .argument("<name>", "project name (lowercase letters, digits, '-')")
    .option("--from <url>", "follow this outside repository (http(s) clone URL): fetched on its signed webhook or berth project sync")
    .option("--default-branch <branch>", "the default branch", "main")
    .action(
      action("other", async (name: string, opts: { from?: string; defaultBranch: string }) => {
        const { s, api, out, err } = await session();
        const r = await api.project.create.mutate({ name, defaultBranch: opts.defaultBranch, ...(opts.from ? { from: opts.from } : {}) });
        const remote = remoteFor(s.url, r.project.remote);
        await out(`${remote}\n`);
        if (r.webhookSecret) {
          await err(
            `follows ${r.project.upstreamUrl}\n` +
              `webhook URL:    ${remoteFor(s.url, r.project.webhookUrl)}\n` +
              `webhook secret: ${r.webhookSecret}\n` +
              `(shown this once: set both in the repository's webhook settings, content type application/json; fetch now with berth project sync ${name})\n`,
          );
        } else {
          await err(`push to it with any user name and an API token (berth token create) as the password:\n  git remote add berth ${remote}\n  git -c http.extraHeader="Authorization: Bearer $BERTH_TOKEN" push berth ${opts.defaultBranch}\n`);
        }
      }),
    );

  cmd
    .command("ls")
    .alias("list")
    .description("List the current team's projects")
    .option("--format <format>", "json: one JSON array")
    .action(
      action("other", async (opts: { format?: string }) => {
        const { s, api, out, table, ago } = await session();
        const rows = await api.project.list.query();
        if (opts.format === "json") return void (await out(`${JSON.stringify(rows)}\n`));
        const now = Date.now();
        await out(table(["NAME", "BRANCHES", "REMOTE", "UPSTREAM", "CREATED"], rows.map((p) => [p.name, String(p.branches), remoteFor(s.url, p.remote), p.upstreamUrl ?? "-", ago(p.createdAt, now)])));
      }),
    );

  cmd
    .command("status")
    .description("Show a project's branches: their commit, state and preview URL")
    .argument("<name>")
    .option("--format <format>", "json: the project and its branches as JSON")
    .action(
      action("other", async (name: string, opts: { format?: string }) => {
        const { s, api, out, table, ago } = await session();
        const p = await api.project.get.query({ name });
        if (opts.format === "json") return void (await out(`${JSON.stringify(p)}\n`));
        const now = Date.now();
        await out(`${p.name}  ${remoteFor(s.url, p.remote)}${p.upstreamUrl ? `  (follows ${p.upstreamUrl})` : ""}\n`);
        if (!p.branchList.length) return void (await out(`no branches yet: git push ${remoteFor(s.url, p.remote)} ${p.defaultBranch}\n`));
        await out(table(["BRANCH", "COMMIT", "STATE", "URL", "UPDATED"], p.branchList.map((b) => [b.name, b.sha.slice(0, 12), b.state === "failed" && b.error ? `failed: ${b.error}` : b.trusted ? b.state : `${b.state} (untrusted)`, b.url ?? "-", ago(b.updatedAt, now)])));
      }),
    );

  cmd
    .command("logs")
    .description("Print the output of a branch's last push (its build and deploy)")
    .argument("<name>")
    .requiredOption("--branch <branch>", "the branch")
    .action(
      action("other", async (name: string, opts: { branch: string }) => {
        const { api, out } = await session();
        const log = await api.project.log.query({ name, branch: opts.branch });
        await out(log ? `${log}\n` : "");
      }),
    );

  cmd
    .command("sync")
    .description("Fetch a project's outside repository now and deploy the branches that changed")
    .argument("<name>")
    .action(
      action("other", async (name: string) => {
        const { api, out } = await session();
        const r = await api.project.sync.mutate({ name });
        await out(r.lines.map((l) => `${l}\n`).join(""));
        return r.branches.some((b) => b.state === "failed") ? 1 : undefined;
      }),
    );

  cmd
    .command("redeploy")
    .description("Deploy a branch's commit again (its preview is replaced once the new one serves)")
    .argument("<name>")
    .requiredOption("--branch <branch>", "the branch")
    .action(
      action("other", async (name: string, opts: { branch: string }) => {
        const { api, out } = await session();
        const r = await api.project.redeploy.mutate({ name, branch: opts.branch });
        await out(r.lines.map((l) => `${l}\n`).join(""));
        return r.state === "failed" ? 1 : undefined;
      }),
    );

  cmd
    .command("set-upstream")
    .description("Follow an outside repository (prints a new webhook secret, once), or stop with --none")
    .argument("<name>")
    .argument("[url]", "the repository's http(s) clone URL")
    .option("--none", "stop following an outside repository")
    .action(
      action("other", async (name: string, url: string | undefined, opts: { none?: boolean }) => {
        const { CliError } = await import("../errors.js");
        if (!url && !opts.none) throw new CliError("USAGE", "give the outside repository's URL, or --none to stop following one");
        const { s, api, out, err } = await session();
        const r = await api.project.setUpstream.mutate({ name, url: opts.none ? null : url! });
        if (!r.upstreamUrl) return void (await out(`${name} follows no outside repository\n`));
        const p = await api.project.get.query({ name });
        await out(`${r.webhookSecret}\n`);
        await err(`follows ${r.upstreamUrl}\nwebhook URL: ${remoteFor(s.url, p.webhookUrl)} (the secret above is shown this once)\n`);
      }),
    );

  cmd
    .command("rm")
    .alias("remove")
    .description("Remove projects: their previews, branches and git repository")
    .argument("<name...>")
    .action(
      action("other", async (names: string[]) => {
        const { api, out } = await session();
        for (const name of names) {
          const r = await api.project.remove.mutate({ name });
          await out(`${r.removed}\n`);
        }
      }),
    );
  return cmd;
}
