// `berth images` alone (bin/berth.js picks this bundle for it): see entries/build.ts.
import * as imagesCmd from "../commands/images.js";
import { baseProgram, runCli } from "../root-command.js";

const program = baseProgram();
imagesCmd.register(program);
runCli(program);
