// `berth ps` alone (bin/berth.js picks this bundle for it): see entries/build.ts.
import * as psCmd from "../commands/ps.js";
import { baseProgram, runCli } from "../root-command.js";

const program = baseProgram();
psCmd.register(program);
runCli(program);
