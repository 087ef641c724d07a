/**
 * `berth container …`: Docker's management command, each subcommand the top-level command of
 * the same name (`container ls` is `ps`, `container rm` is `rm`, …) plus `container prune`.
 */
import type { Command } from "commander";
import { usageExit } from "../root-command.js";
import * as attachCmd from "./attach.js";
import * as commitCmd from "./commit.js";
import * as cpCmd from "./cp.js";
import * as createCmd from "./create.js";
import * as diffCmd from "./diff.js";
import * as execCmd from "./exec.js";
import * as exportCmd from "./export.js";
import * as inspectCmd from "./inspect.js";
import * as killCmd from "./kill.js";
import * as logsCmd from "./logs.js";
import * as pauseCmd from "./pause.js";
import * as portCmd from "./port.js";
import * as psCmd from "./ps.js";
import * as renameCmd from "./rename.js";
import * as restartCmd from "./restart.js";
import * as rmCmd from "./rm.js";
import * as runCmd from "./run.js";
import * as startCmd from "./start.js";
import * as statsCmd from "./stats.js";
import * as stopCmd from "./stop.js";
import * as topCmd from "./top.js";
import * as waitCmd from "./wait.js";
import { registerContainerPrune } from "./prune.js";

export function registerContainerCommands(program: Command): Command {
  const c = program.command("container").description("Manage containers").usage("COMMAND").helpCommand(false);
  attachCmd.register(c);
  commitCmd.register(c);
  cpCmd.register(c);
  createCmd.register(c).exitOverride(usageExit("run"));
  diffCmd.register(c);
  execCmd.register(c);
  exportCmd.register(c);
  inspectCmd.register(c, (a) => inspectCmd.inspect({ ...a, type: a.type ?? "container" })).description("Display detailed information on one or more containers");
  killCmd.register(c);
  logsCmd.register(c);
  psCmd.register(c).name("ls").aliases(["list", "ps"]);
  pauseCmd.register(c);
  portCmd.register(c);
  registerContainerPrune(c);
  renameCmd.register(c);
  restartCmd.register(c);
  rmCmd.register(c).alias("remove");
  runCmd.register(c).exitOverride(usageExit("run"));
  startCmd.register(c);
  statsCmd.register(c);
  stopCmd.register(c);
  topCmd.register(c);
  waitCmd.register(c);
  return c;
}
