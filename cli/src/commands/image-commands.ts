/**
 * Registers the image commands: the top-level ones docker has (save, load, tag, rmi, history,
 * import, export), the `image` group (ls, inspect, rm, tag, history, save, load, import,
 * prune) and `system df`. Handlers can be replaced for argument-parsing tests.
 */
import type { Command } from "commander";
import * as exportCmd from "./export.js";
import * as historyCmd from "./history.js";
import * as imageInspectCmd from "./image-inspect.js";
import * as imageBootstrapCmd from "./image-bootstrap.js";
import * as imagePruneCmd from "./image-prune.js";
import * as imagesCmd from "./images.js";
import * as importCmd from "./import.js";
import * as loadCmd from "./load.js";
import * as rmiCmd from "./rmi.js";
import * as saveCmd from "./save.js";
import * as systemDfCmd from "./system-df.js";
import * as tagCmd from "./tag.js";
import * as buildCmd from "./build.js";
import * as pullCmd from "./pull.js";
import * as pushCmd from "./push.js";
import { registerSystemPrune } from "./prune.js";
import { registerInfo } from "./system-info.js";

export interface ImageHandlers {
  save: Parameters<typeof saveCmd.register>[1];
  load: Parameters<typeof loadCmd.register>[1];
  tag: Parameters<typeof tagCmd.register>[1];
  rmi: Parameters<typeof rmiCmd.register>[1];
  history: Parameters<typeof historyCmd.register>[1];
  imageInspect: Parameters<typeof imageInspectCmd.register>[1];
  imagePrune: Parameters<typeof imagePruneCmd.register>[1];
  systemDf: Parameters<typeof systemDfCmd.register>[1];
  import: Parameters<typeof importCmd.register>[1];
  export: Parameters<typeof exportCmd.register>[1];
  images: Parameters<typeof imagesCmd.register>[1];
  imageBootstrap: Parameters<typeof imageBootstrapCmd.register>[1];
}

export function registerImageCommands(program: Command, h: Partial<ImageHandlers> = {}): void {
  saveCmd.register(program, h.save);
  loadCmd.register(program, h.load);
  tagCmd.register(program, h.tag);
  rmiCmd.register(program, h.rmi);
  historyCmd.register(program, h.history);
  importCmd.register(program, h.import);
  exportCmd.register(program, h.export);

  const image = program.command("image").description("Manage images").usage("COMMAND").helpCommand(false);
  imagesCmd.register(image, h.images).name("ls").alias("list").description("List images");
  imageInspectCmd.register(image, h.imageInspect);
  rmiCmd.register(image, h.rmi, "rm").alias("remove");
  tagCmd.register(image, h.tag);
  historyCmd.register(image, h.history);
  saveCmd.register(image, h.save);
  loadCmd.register(image, h.load);
  importCmd.register(image, h.import);
  imagePruneCmd.register(image, h.imagePrune);
  imageBootstrapCmd.register(image, h.imageBootstrap);
  // The rest of Docker's `image` group: the top-level commands under their group name.
  buildCmd.register(image);
  pullCmd.register(image);
  pushCmd.register(image);

  const system = program.command("system").description("Manage Berth").usage("COMMAND").helpCommand(false);
  systemDfCmd.register(system, h.systemDf);
  registerInfo(system);
  registerSystemPrune(system);
}
