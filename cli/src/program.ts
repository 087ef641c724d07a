/**
 * The command tree. Building it loads only commander and the command files (which load
 * their heavy dependencies when they run), so --help and --version stay fast.
 */
import type { Command } from "commander";
import { baseProgram, usageExit } from "./root-command.js";
export { baseProgram, UsageExit, usageExit, version } from "./root-command.js";
import * as runCmd from "./commands/run.js";
import * as psCmd from "./commands/ps.js";
import * as imagesCmd from "./commands/images.js";
import * as logsCmd from "./commands/logs.js";
import * as execCmd from "./commands/exec.js";
import * as terminalCmd from "./commands/terminal.js";
import * as repoCmd from "./commands/repo.js";
import * as userCmd from "./commands/user.js";
import * as teamCmd from "./commands/team.js";
import * as tokenCmd from "./commands/token.js";
import * as whoamiCmd from "./commands/whoami.js";
import * as passwdCmd from "./commands/passwd.js";
import * as searchCmd from "./commands/search.js";
import * as loginCmd from "./commands/login.js";
import * as logoutCmd from "./commands/logout.js";
import * as buildCmd from "./commands/build.js";
import * as commitCmd from "./commands/commit.js";
import * as pushCmd from "./commands/push.js";
import * as pullCmd from "./commands/pull.js";
import { registerImageCommands, type ImageHandlers } from "./commands/image-commands.js";
import * as stopCmd from "./commands/stop.js";
import * as killCmd from "./commands/kill.js";
import * as rmCmd from "./commands/rm.js";
import * as waitCmd from "./commands/wait.js";
import * as renameCmd from "./commands/rename.js";
import * as inspectCmd from "./commands/inspect.js";
import * as createCmd from "./commands/create.js";
import * as startCmd from "./commands/start.js";
import * as restartCmd from "./commands/restart.js";
import * as eventsCmd from "./commands/events.js";
import * as attachCmd from "./commands/attach.js";
import * as pauseCmd from "./commands/pause.js";
import * as topCmd from "./commands/top.js";
import * as statsCmd from "./commands/stats.js";
import * as networkCmd from "./commands/network.js";
import * as portCmd from "./commands/port.js";
import * as volumeCmd from "./commands/volume.js";
import * as portLinkCmd from "./commands/port-link.js";
import * as stackCmd from "./commands/stack.js";
import * as cpCmd from "./commands/cp.js";
import * as diffCmd from "./commands/diff.js";
import { registerContainerCommands } from "./commands/container-commands.js";
import { registerInfo, registerVersion } from "./commands/system-info.js";

export interface Handlers {
  run: Parameters<typeof runCmd.register>[1];
  ps: Parameters<typeof psCmd.register>[1];
  images: Parameters<typeof imagesCmd.register>[1];
  logs: Parameters<typeof logsCmd.register>[1];
  exec?: Parameters<typeof execCmd.register>[1];
  // Registry, users and tokens (optional here so existing spy sets stay complete).
  repo?: Parameters<typeof repoCmd.register>[1];
  user?: Parameters<typeof userCmd.register>[1];
  token?: Parameters<typeof tokenCmd.register>[1];
  whoami?: Parameters<typeof whoamiCmd.register>[1];
  passwd?: Parameters<typeof passwdCmd.register>[1];
  search?: Parameters<typeof searchCmd.register>[1];
  login?: Parameters<typeof loginCmd.register>[1];
  logout?: Parameters<typeof logoutCmd.register>[1];
  push?: Parameters<typeof pushCmd.register>[1];
  pull?: Parameters<typeof pullCmd.register>[1];
  // save, load, tag, rmi, history, import, export, `image …`, `system df`
  imageCommands?: Partial<ImageHandlers>;
  // Container lifecycle
  stop?: Parameters<typeof stopCmd.register>[1];
  kill?: Parameters<typeof killCmd.register>[1];
  rm?: Parameters<typeof rmCmd.register>[1];
  wait?: Parameters<typeof waitCmd.register>[1];
  rename?: Parameters<typeof renameCmd.register>[1];
  inspect?: Parameters<typeof inspectCmd.register>[1];
  create?: Parameters<typeof createCmd.register>[1];
  start?: Parameters<typeof startCmd.register>[1];
  restart?: Parameters<typeof restartCmd.register>[1];
  events?: Parameters<typeof eventsCmd.register>[1];
  attach?: Parameters<typeof attachCmd.register>[1];
  pause?: Parameters<typeof pauseCmd.register>[1];
  top?: Parameters<typeof topCmd.register>[1];
  stats?: Parameters<typeof statsCmd.register>[1];
  build?: Parameters<typeof buildCmd.register>[1];
  commit?: Parameters<typeof commitCmd.register>[1];
}

export function buildProgram(handlers: Partial<Handlers> = {}): Command {
  const program = baseProgram();
  runCmd.register(program, handlers.run).exitOverride(usageExit("run"));
  psCmd.register(program, handlers.ps);
  imagesCmd.register(program, handlers.images);
  logsCmd.register(program, handlers.logs);
  execCmd.register(program, handlers.exec);
  terminalCmd.register(program);
  repoCmd.register(program, handlers.repo);
  userCmd.register(program, handlers.user);
  tokenCmd.register(program, handlers.token);
  searchCmd.register(program, handlers.search);
  loginCmd.register(program, handlers.login);
  logoutCmd.register(program, handlers.logout);
  pushCmd.register(program, handlers.push);
  pullCmd.register(program, handlers.pull);
  whoamiCmd.register(program, handlers.whoami);
  passwdCmd.register(program, handlers.passwd);
  registerImageCommands(program, handlers.imageCommands);
  stopCmd.register(program, handlers.stop);
  killCmd.register(program, handlers.kill);
  rmCmd.register(program, handlers.rm);
  waitCmd.register(program, handlers.wait);
  renameCmd.register(program, handlers.rename);
  inspectCmd.register(program, handlers.inspect);
  createCmd.register(program, handlers.create).exitOverride(usageExit("run"));
  startCmd.register(program, handlers.start);
  restartCmd.register(program, handlers.restart);
  eventsCmd.register(program, handlers.events);
  attachCmd.register(program, handlers.attach);
  pauseCmd.register(program, handlers.pause);
  topCmd.register(program, handlers.top);
  statsCmd.register(program, handlers.stats);
  buildCmd.register(program, handlers.build);
  commitCmd.register(program, handlers.commit);
  networkCmd.register(program);
  portCmd.register(program);
  volumeCmd.register(program);
  portLinkCmd.register(program);
  stackCmd.register(program);
  cpCmd.register(program);
  diffCmd.register(program);
  teamCmd.register(program);
  teamCmd.registerAudit(program);
  registerContainerCommands(program);
  registerVersion(program);
  registerInfo(program);
  return program;
}
