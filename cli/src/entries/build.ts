// `berth build` alone (bin/berth.js picks this bundle for it): the full command tree costs more
// to load than a cached build takes on the server.
import * as buildCmd from "../commands/build.js";
import { baseProgram, runCli } from "../root-command.js";

const program = baseProgram();
buildCmd.register(program);
runCli(program);
