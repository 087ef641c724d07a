// `berth run` alone (bin/berth.js picks this bundle for it): see entries/build.ts.
import * as runCmd from "../commands/run.js";
import { baseProgram, runCli, usageExit } from "../root-command.js";

const program = baseProgram();
runCmd.register(program).exitOverride(usageExit("run"));
runCli(program);
