import type { Command } from "commander";
import { action } from "../action.js";

export interface ImageBootstrapArgs {
  ref: string;
  mirror: string | undefined;
  quiet: boolean;
}

interface BootstrapResult {
  id: string;
  ref: string;
  cached: boolean;
  mirror?: string;
}

/** `image bootstrap debian:SUITE`: a base image made by debootstrap on the host (once); prints its progress, then the tag. */
export async function imageBootstrap(a: ImageBootstrapArgs): Promise<void> {
  const [{ write }, { postJson, readProgress, responseError }] = await Promise.all([import("../output.js"), import("../progress-stream.js")]);
  const res = await postJson("/api/images/bootstrap", { ref: a.ref, ...(a.mirror ? { mirror: a.mirror } : {}) });
  if (res.statusCode !== 200) throw await responseError(res);
  const result = await readProgress<BootstrapResult>(res, { quiet: a.quiet, what: "the bootstrap", incomplete: "BAD_RESPONSE" });
  if (result.cached && !a.quiet) await write(process.stdout, `${result.ref} already made (berth rmi ${result.ref} to remake it)\n`);
  await write(process.stdout, a.quiet ? `${result.id}\n` : `${result.ref}: ${result.id}\n`);
}

export function register(parent: Command, handler: (a: ImageBootstrapArgs) => Promise<number | void> = imageBootstrap): Command {
  return parent
    .command("bootstrap")
    .description("Make a Debian base image with debootstrap from the host's apt mirror (once; then reused)")
    .usage("[OPTIONS] debian:SUITE")
    .argument("<image>", "debian:SUITE, e.g. debian:bookworm")
    .option("--mirror <url>", "Debian mirror (default: the one the host's apt sources use)")
    .option("-q, --quiet", "print only the image id")
    .action(action("other", (ref: string, o: { mirror?: string; quiet?: boolean }) => handler({ ref, mirror: o.mirror, quiet: !!o.quiet })));
}
