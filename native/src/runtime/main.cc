// berth-runtime: Berth's container runtime as an OCI runtime command line, built
// from the same C++ as the Node addon, so that one bundle runs under crun, runc
// and Berth side by side:
//
//   berth-runtime [--root DIR] run    [-b BUNDLE] [--pid-file F] ID
//   berth-runtime [--root DIR] create [-b BUNDLE] [--pid-file F] [--console-socket S] ID
//   berth-runtime [--root DIR] start  ID
//   berth-runtime [--root DIR] state  ID
//   berth-runtime [--root DIR] kill   ID [SIGNAL]
//   berth-runtime [--root DIR] delete [-f] ID
//   berth-runtime [--root DIR] exec   [-t] [--cwd DIR] [-e K=V]... [-u UID[:GID]] ID CMD [ARG...]
//
// State lives in <root>/<id>/ (default /run/berth-runtime): state.json and, between
// create and start, exec.fifo (the container blocks opening it until `start` reads).
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../caps.h"
#include "../cgroups.h"
#include "../container.h"
#include "json.h"
#include "oci.h"

namespace berth {
namespace {

std::string g_root = "/run/berth-runtime";
volatile sig_atomic_t g_forward_pid = 0;

std::string g_cleanup_dir;  // a state dir this command made, removed again if it fails

void RemoveDir(const std::string& dir);

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "berth-runtime: %s\n", message.c_str());
  if (!g_cleanup_dir.empty()) RemoveDir(g_cleanup_dir);
  std::exit(1);
}

std::string Describe(const Error& e) {
  if (e.err == 0) return e.stage + ": " + e.message;
  std::string s = e.stage + ": " + e.syscall;
  if (!e.path.empty()) s += " " + e.path;
  return s + ": " + std::strerror(e.err);
}

std::string Describe(const ChildReport& r) {
  std::string s = std::string(StageName(r.stage)) + ": " + r.syscall;
  if (r.path[0] != '\0') s += std::string(" ") + r.path;
  return s + ": " + std::strerror(r.err);
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 200 || id == "." || id == "..") return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  }
  return true;
}

std::string Dir(const std::string& id) { return g_root + "/" + id; }

std::string Absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr) Die(std::string("getcwd: ") + std::strerror(errno));
  return path.empty() || path == "." ? cwd : std::string(cwd) + "/" + path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFileAtomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) Die("cannot write " + tmp);
  }
  if (rename(tmp.c_str(), path.c_str()) < 0) Die("rename " + tmp + ": " + std::strerror(errno));
}

// Field 22 of /proc/<pid>/stat: tells a reused pid from ours.
unsigned long long StartTime(pid_t pid) {
  std::string s = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = s.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream in(s.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && in >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return 0;
}

bool Zombie(pid_t pid) {
  std::string s = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = s.rfind(')');
  return paren == std::string::npos || (paren + 2 < s.size() && (s[paren + 2] == 'Z' || s[paren + 2] == 'X'));
}

struct State {
  std::string id, bundle, rootfs, created, status, cgroup;
  pid_t pid = 0;
  unsigned long long starttime = 0;
};

std::string Now() {
  char buf[64];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return buf;
}

void SaveState(const State& s) {
  std::string j = "{\"ociVersion\":\"1.0.2\",\"id\":" + JsonQuote(s.id) + ",\"pid\":" + std::to_string(s.pid) +
                  ",\"status\":" + JsonQuote(s.status) + ",\"bundle\":" + JsonQuote(s.bundle) +
                  ",\"rootfs\":" + JsonQuote(s.rootfs) + ",\"created\":" + JsonQuote(s.created) +
                  ",\"owner\":\"\",\"starttime\":" + std::to_string(s.starttime) + ",\"cgroup\":" + JsonQuote(s.cgroup) + "}\n";
  WriteFileAtomic(Dir(s.id) + "/state.json", j);
}

State LoadState(const std::string& id) {
  if (!ValidId(id)) Die("invalid container id " + JsonQuote(id));
  std::string text = ReadFile(Dir(id) + "/state.json");
  if (text.empty()) Die("container " + id + " does not exist");
  Json j;
  std::string error;
  if (!ParseJson(text, &j, &error)) Die("state of " + id + ": " + error);
  State s;
  s.id = id;
  s.pid = static_cast<pid_t>(j["pid"].number);
  s.status = j["status"].string;
  s.bundle = j["bundle"].string;
  s.rootfs = j["rootfs"].string;
  s.created = j["created"].string;
  s.cgroup = j["cgroup"].string;
  s.starttime = static_cast<unsigned long long>(j["starttime"].number);
  // Refresh: the process may have exited since.
  const bool alive = s.pid > 0 && kill(s.pid, 0) == 0 && !Zombie(s.pid) && StartTime(s.pid) == s.starttime;
  if (!alive) {
    s.status = "stopped";
  } else if (s.status == "created" && access((Dir(id) + "/exec.fifo").c_str(), F_OK) != 0) {
    s.status = "running";
  }
  return s;
}

void RemoveDir(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) unlink((dir + "/" + e->d_name).c_str());
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

struct Options {
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  bool force = false;
  bool detach = false;
  bool tty = false;
  std::string cwd;
  std::vector<std::string> env;
  std::string user;
  std::vector<std::string> positional;
};

// `rest_after_id`: for exec, everything after the container id is the command.
Options ParseOptions(int argc, char** argv, int first, bool rest_after_id) {
  Options o;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (rest_after_id && !o.positional.empty()) {
      if (a == "--" && o.positional.size() == 1) continue;
      o.positional.push_back(a);
      continue;
    }
    auto value = [&](const char* name) -> std::string {
      size_t eq = a.find('=');
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) Die(std::string("option ") + name + " needs a value");
      return argv[++i];
    };
    if (a == "--") {
      for (++i; i < argc; ++i) o.positional.push_back(argv[i]);
      break;
    }
    if (a == "-b" || a.rfind("--bundle", 0) == 0) o.bundle = value("--bundle");
    else if (a.rfind("--pid-file", 0) == 0) o.pid_file = value("--pid-file");
    else if (a.rfind("--console-socket", 0) == 0) o.console_socket = value("--console-socket");
    else if (a == "-f" || a == "--force") o.force = true;
    else if (a == "-d" || a == "--detach") o.detach = true;
    else if (a == "-t" || a == "--tty") o.tty = true;
    else if (a.rfind("--cwd", 0) == 0) o.cwd = value("--cwd");
    else if (a == "-e" || a.rfind("--env", 0) == 0) o.env.push_back(value("--env"));
    else if (a == "-u" || a.rfind("--user", 0) == 0) o.user = value("--user");
    else if (a == "--no-pivot" || a == "--no-new-keyring" || a == "--keep" || a == "-a" || a == "--all") continue;
    else if (a.size() > 1 && a[0] == '-') Die("unknown option " + a);
    else o.positional.push_back(a);
  }
  return o;
}

void WritePidFile(const std::string& path, pid_t pid) {
  if (!path.empty()) WriteFileAtomic(Absolute(path), std::to_string(pid));
}

void SendConsole(const std::string& socket_path, int master) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) Die("console socket path too long");
  std::strcpy(addr.sun_path, socket_path.c_str());
  if (s < 0 || connect(s, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
    Die("connect " + socket_path + ": " + std::strerror(errno));
  char name[] = "/dev/ptmx";
  struct iovec iov = {name, sizeof name - 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &master, sizeof(int));
  if (sendmsg(s, &msg, 0) < 0) Die("sendmsg " + socket_path + ": " + std::strerror(errno));
  close(s);
}

// Reads the child's reports until `until` (or EOF = exec'd). Returns the pty master if one came.
int AwaitSetup(Launched& l, int32_t until, pid_t* exec_target, const std::vector<std::string>& cgroups) {
  int master = -1;
  for (;;) {
    ChildReport r;
    int fd = -1;
    ssize_t n = ReadReport(l.report.get(), &r, &fd);
    if (n == 0) return master;
    if (n < 0) Die(std::string("reading the setup report: ") + std::strerror(errno));
    if (r.kind == kReportPty) {
      master = fd;
      continue;
    }
    if (r.kind == kReportPid && exec_target != nullptr) {
      *exec_target = r.value;
      Reap(l.pid);
      continue;
    }
    if (r.kind == until) return master;
    if (r.kind == kReportError) {
      if (exec_target == nullptr || *exec_target <= 0) Reap(l.pid);
      if (exec_target != nullptr && *exec_target > 0) Reap(*exec_target);
      RemoveCreated(cgroups);
      Die(Describe(r));
    }
  }
}

void Forward(int sig) {
  if (g_forward_pid > 0) kill(g_forward_pid, sig);
}

// Copies between our stdio and the pty master until the terminal hangs up.
void Relay(int master) {
  struct termios saved;
  const bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
  }
  char buf[8192];
  bool in_open = true;
  for (;;) {
    struct pollfd fds[2] = {{master, POLLIN, 0}, {0, static_cast<short>(in_open ? POLLIN : 0), 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO: every holder of the terminal is gone
      if (write(1, buf, n) < 0) break;
    }
    if (in_open && (fds[1].revents & (POLLIN | POLLHUP))) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) in_open = false;
      else if (write(master, buf, n) < 0) break;
    }
  }
  if (raw) tcsetattr(0, TCSANOW, &saved);
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

int WaitForwarding(pid_t pid) {
  g_forward_pid = pid;
  struct sigaction sa = {};
  sa.sa_handler = Forward;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaction(sig, &sa, nullptr);
  return Reap(pid);
}

void PrepareBundle(const std::string& id, const Options& o, bool detached_create, OciBundle* b, State* s) {
  if (!ValidId(id)) Die("invalid container id " + JsonQuote(id));
  const std::string bundle = Absolute(o.bundle);
  std::string error;
  if (!LoadOciBundle(bundle, id, b, &error)) Die(error);
  for (const std::string& w : b->warnings) std::fprintf(stderr, "berth-runtime: warning: %s\n", w.c_str());
  if (mkdir(g_root.c_str(), 0700) < 0 && errno != EEXIST) Die("mkdir " + g_root + ": " + std::strerror(errno));
  if (mkdir(Dir(id).c_str(), 0700) < 0) {
    if (errno == EEXIST) Die("container " + id + " already exists");
    Die("mkdir " + Dir(id) + ": " + std::strerror(errno));
  }
  g_cleanup_dir = Dir(id);
  ContainerConfig& c = b->config;
  c.stdio = b->terminal ? Stdio::kTty : Stdio::kInherit;
  c.die_with_parent = !detached_create;
  if (detached_create) {
    c.start_fifo = Dir(id) + "/exec.fifo";
    if (mkfifo(c.start_fifo.c_str(), 0622) < 0) Die("mkfifo " + c.start_fifo + ": " + std::strerror(errno));
  }
  s->id = id;
  s->bundle = bundle;
  s->rootfs = c.rootfs;
  s->created = Now();
  s->cgroup = c.has_cgroup ? c.cgroup.path : "";
}

int LaunchOrDie(const std::string& id, ContainerConfig& c, Launched* l) {
  Error e;
  std::shared_ptr<berth::Prepared> plan = berth::Prepare(c, &e);
  if (!plan || berth::Launch(*plan, l, &e) < 0) {
    RemoveDir(Dir(id));
    Die(Describe(e));
  }
  return 0;
}

int CmdRun(const Options& o) {
  if (o.positional.size() != 1) Die("usage: run [-b BUNDLE] [--pid-file F] ID");
  const std::string& id = o.positional[0];
  OciBundle b;
  State s;
  PrepareBundle(id, o, false, &b, &s);
  Launched l;
  LaunchOrDie(id, b.config, &l);
  int master = AwaitSetup(l, -1, nullptr, l.cgroup_created);
  s.pid = l.pid;
  s.starttime = StartTime(l.pid);
  s.status = "running";
  SaveState(s);
  WritePidFile(o.pid_file, l.pid);
  g_cleanup_dir.clear();
  if (master >= 0) {
    Relay(master);
    close(master);
  }
  int status = WaitForwarding(l.pid);
  if (!s.cgroup.empty()) {
    Error e;
    RemoveCgroup(s.cgroup, &e);
  }
  RemoveDir(Dir(id));
  return ExitCode(status);
}

int CmdCreate(const Options& o) {
  if (o.positional.size() != 1) Die("usage: create [-b BUNDLE] [--pid-file F] [--console-socket S] ID");
  const std::string& id = o.positional[0];
  OciBundle b;
  State s;
  PrepareBundle(id, o, true, &b, &s);
  if (b.terminal && o.console_socket.empty()) {
    RemoveDir(Dir(id));
    Die("process.terminal needs --console-socket with create");
  }
  Launched l;
  LaunchOrDie(id, b.config, &l);
  int master = AwaitSetup(l, kReportReady, nullptr, l.cgroup_created);
  if (master >= 0) {
    SendConsole(o.console_socket, master);
    close(master);
  }
  s.pid = l.pid;
  s.starttime = StartTime(l.pid);
  s.status = "created";
  SaveState(s);
  WritePidFile(o.pid_file, l.pid);
  g_cleanup_dir.clear();
  return 0;
}

int CmdStart(const Options& o) {
  if (o.positional.size() != 1) Die("usage: start ID");
  State s = LoadState(o.positional[0]);
  if (s.status != "created") Die("container " + s.id + " is " + s.status + ", not created");
  const std::string fifo = Dir(s.id) + "/exec.fifo";
  int fd = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) Die("open " + fifo + ": " + std::strerror(errno));
  struct pollfd p = {fd, POLLIN, 0};
  char c;
  if (poll(&p, 1, 10000) <= 0 || read(fd, &c, 1) != 1) Die("container " + s.id + " did not take the start signal");
  close(fd);
  unlink(fifo.c_str());
  s.status = "running";
  SaveState(s);
  return 0;
}

int CmdState(const Options& o) {
  if (o.positional.size() != 1) Die("usage: state ID");
  State s = LoadState(o.positional[0]);
  std::printf(
      "{\n  \"ociVersion\": \"1.0.2\",\n  \"id\": %s,\n  \"pid\": %d,\n  \"status\": %s,\n  \"bundle\": %s,\n"
      "  \"rootfs\": %s,\n  \"created\": %s,\n  \"owner\": \"\"\n}\n",
      JsonQuote(s.id).c_str(), s.status == "stopped" ? 0 : s.pid, JsonQuote(s.status).c_str(), JsonQuote(s.bundle).c_str(),
      JsonQuote(s.rootfs).c_str(), JsonQuote(s.created).c_str());
  return 0;
}

int CmdKill(const Options& o) {
  if (o.positional.empty() || o.positional.size() > 2) Die("usage: kill ID [SIGNAL]");
  State s = LoadState(o.positional[0]);
  int sig = o.positional.size() == 2 ? SignalFromName(o.positional[1]) : SIGTERM;
  if (sig < 0) Die("unknown signal " + o.positional[1]);
  if (s.status == "stopped") Die("container " + s.id + " is not running");
  if (kill(s.pid, sig) < 0) Die(std::string("kill: ") + std::strerror(errno));
  return 0;
}

int CmdDelete(const Options& o) {
  if (o.positional.size() != 1) Die("usage: delete [-f] ID");
  const std::string& id = o.positional[0];
  if (!ValidId(id)) Die("invalid container id " + JsonQuote(id));
  if (access((Dir(id) + "/state.json").c_str(), F_OK) != 0) {
    if (o.force) return 0;
    Die("container " + id + " does not exist");
  }
  State s = LoadState(id);
  if (s.status != "stopped") {
    if (s.status == "running" && !o.force) Die("container " + id + " is running: stop it first or use --force");
    kill(s.pid, SIGKILL);
    for (int i = 0; i < 1000 && kill(s.pid, 0) == 0 && !Zombie(s.pid); ++i) usleep(5000);
  }
  if (!s.cgroup.empty()) {
    Error e;
    if (RemoveCgroup(s.cgroup, &e) < 0) Die(Describe(e));
  }
  RemoveDir(Dir(id));
  return 0;
}

int CmdExec(const Options& o) {
  if (o.positional.size() < 2) Die("usage: exec [-t] [--cwd DIR] [-e K=V] [-u UID[:GID]] ID CMD [ARG...]");
  State s = LoadState(o.positional[0]);
  if (s.status != "running") Die("container " + s.id + " is " + s.status + ", not running");
  OciBundle b;
  std::string error;
  if (!LoadOciBundle(s.bundle, s.id, &b, &error)) Die(error);
  ExecConfig x;
  x.pid = s.pid;
  x.args.assign(o.positional.begin() + 1, o.positional.end());
  x.env = b.config.env;
  for (const std::string& kv : o.env) x.env.push_back(kv);
  x.cwd = o.cwd.empty() ? b.config.cwd : o.cwd;
  x.uid = b.config.uid;
  x.gid = b.config.gid;
  x.additional_gids = b.config.additional_gids;
  if (!o.user.empty()) {
    x.uid = static_cast<uid_t>(std::strtoul(o.user.c_str(), nullptr, 10));
    size_t colon = o.user.find(':');
    x.gid = colon == std::string::npos ? x.uid : static_cast<gid_t>(std::strtoul(o.user.c_str() + colon + 1, nullptr, 10));
  }
  x.caps = b.config.caps;
  x.no_new_privileges = b.config.no_new_privileges;
  x.seccomp = false;
  x.stdio = o.tty ? Stdio::kTty : Stdio::kInherit;
  Error e;
  std::shared_ptr<PreparedExec> plan = PrepareExec(x, &e);
  Launched l;
  if (!plan || LaunchExec(*plan, &l, &e) < 0) Die(Describe(e));
  pid_t target = -1;
  int master = AwaitSetup(l, -1, &target, {});
  if (target <= 0) Die("exec: no process started");
  if (master >= 0) {
    Relay(master);
    close(master);
  }
  return ExitCode(WaitForwarding(target));
}

}  // namespace
}  // namespace berth

int main(int argc, char** argv) {
  using namespace berth;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "--root" && i + 1 < argc) g_root = argv[++i];
    else if (a.rfind("--root=", 0) == 0) g_root = a.substr(7);
    else if ((a == "--log" || a == "--log-format") && i + 1 < argc) ++i;
    else if (a.rfind("--log", 0) == 0 || a == "--debug" || a == "--systemd-cgroup") continue;
    else if (a == "--version" || a == "-v") {
      std::printf("berth-runtime version 0.1.0\nspec: 1.0.2\n");
      return 0;
    } else {
      Die("unknown global option " + a);
    }
  }
  if (i >= argc) Die("usage: berth-runtime [--root DIR] run|create|start|state|kill|delete|exec ...");
  const std::string cmd = argv[i];
  Options o = ParseOptions(argc, argv, i + 1, cmd == "exec");
  if (cmd == "run") return CmdRun(o);
  if (cmd == "create") return CmdCreate(o);
  if (cmd == "start") return CmdStart(o);
  if (cmd == "state") return CmdState(o);
  if (cmd == "kill") return CmdKill(o);
  if (cmd == "delete") return CmdDelete(o);
  if (cmd == "exec") return CmdExec(o);
  Die("unknown command " + cmd);
}
