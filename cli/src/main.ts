import { buildProgram } from "./program.js";
import { runCli } from "./root-command.js";

runCli(buildProgram());
