import type { Command } from "commander";
import { action } from "../action.js";

export interface TagArgs {
  source: string;
  target: string;
}

export async function tag(a: TagArgs): Promise<void> {
  const { connectImages } = await import("../image-client.js");
  await (await connectImages()).trpc.image.tag.mutate(a);
}

export function register(parent: Command, handler: (a: TagArgs) => Promise<number | void> = tag): Command {
  return parent
    .command("tag")
    .description("Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
    .usage("SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")
    .argument("<source>", "image to tag (name[:tag], id or id prefix)")
    .argument("<target>", "new name[:tag]")
    .action(action("other", (source: string, target: string) => handler({ source, target })));
}
