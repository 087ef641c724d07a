import type { Command } from "commander";
import { action } from "../action.js";
import { teamHeader } from "../credentials.js";

export interface CommitArgs {
  container: string;
  ref: string | undefined;
  message: string | undefined;
  author: string | undefined;
  changes: string[];
}

/** `commit [-m MSG] [-c CHANGE]… CONTAINER [REPO[:TAG]]`: the container's changes → a new image; prints its id. */
export async function commit(a: CommitArgs): Promise<void> {
  const [{ createTRPCClient, httpLink }, { connect }, { write }, { httpFetch }] = await Promise.all([import("@trpc/client"), import("../client.js"), import("../output.js"), import("../http-fetch.js")]);
  const { url, token } = connect();
  const trpc = createTRPCClient<import("@berth/web/router").AppRouter>({
    // node:http, as every other command: the global fetch (undici) costs more to load than the call takes.
    links: [httpLink({ url: `${url}/api/trpc`, headers: () => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...teamHeader(url) }), fetch: httpFetch })],
  });
  const r = await trpc.image.commit.mutate({
    container: a.container,
    ...(a.ref ? { ref: a.ref } : {}),
    ...(a.message !== undefined ? { message: a.message } : {}),
    ...(a.author !== undefined ? { author: a.author } : {}),
    changes: a.changes,
  });
  await write(process.stdout, `${r.id}\n`);
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(parent: Command, handler: (a: CommitArgs) => Promise<number | void> = commit): Command {
  return parent
    .command("commit")
    .description("Create a new image from a container's changes")
    .usage("[OPTIONS] CONTAINER [REPOSITORY[:TAG]]")
    .option("-a, --author <author>", 'author (e.g. "Jane Doe <jane@example.com>")')
    .option("-c, --change <instruction>", "apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE)", collect, [] as string[])
    .option("-m, --message <message>", "commit message")
    .argument("<container>", "container (name, id or id prefix)")
    .argument("[repository]", "name[:tag] for the new image")
    .action(
      action("other", (container: string, ref: string | undefined, opts: { change: string[]; message?: string; author?: string }) =>
        handler({ container, ref, message: opts.message, author: opts.author, changes: opts.change }),
      ),
    );
}
