// `berth logs` alone (bin/berth.js picks this bundle for it): see entries/build.ts.
import * as logsCmd from "../commands/logs.js";
import { baseProgram, runCli } from "../root-command.js";

const program = baseProgram();
logsCmd.register(program);
runCli(program);
