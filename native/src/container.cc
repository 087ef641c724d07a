// Container creation: a fork-like clone into new namespaces, then the child's
// setup up to execve (see ChildMain for the order), and exec into a running
// container (join its cgroups and namespaces, fork into its pid namespace).
//
// The caller (Node) is multi-threaded, so between clone and execve the child
// may only make raw syscalls / async-signal-safe calls: no malloc, no C++
// allocation, no std::string. Everything it needs is prepared in a Prepared
// before clone and handed over as plain pointers (ChildArgs).
#include "container.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "caps.h"
#include "cgroups.h"
#include "child_fds.h"
#include "mounts.h"
#include "netlink.h"
#include "seccomp.h"
#include "shim_protocol.h"

namespace berth {

const char* StageName(int32_t stage) noexcept {
  static const char* const kNames[kStageCount] = {
      "clone",        "mount-private",  "overlay",      "proc",    "dev",        "sys",
      "pivot_root",   "network",        "hostname",     "user",    "cwd",        "exec",
      "cgroup",       "mounts",         "masked-paths", "readonly-paths", "capabilities",
      "no-new-privs", "seccomp",        "tty",          "userns",  "rlimits",    "init",
      "start",        "setns",          "shim",
  };
  return stage >= 0 && stage < kStageCount ? kNames[stage] : "unknown";
}

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Everything the child reads. Plain pointers into a Prepared (or PreparedExec).
struct ChildArgs {
  // Exec into a running container instead of creating one.
  int exec_pidfd = -1;
  int setns_flags = 0;

  // Root and mounts.
  const char* rootfs = nullptr;
  const ChildOverlay* overlay = nullptr;  // nullptr: bind rootfs onto itself
  const ChildMount* mounts = nullptr;
  unsigned nmounts = 0;
  bool populate_dev = false;
  const char* const* masked = nullptr;
  unsigned nmasked = 0;
  const char* const* readonly = nullptr;
  unsigned nreadonly = 0;
  bool readonly_root = false;
  const char* hostname = nullptr;
  size_t hostname_len = 0;
  bool net_ns = false;
  bool userns = false;
  bool unshare_cgroupns = false;
  const int* cgroup_fds = nullptr;  // joined by the child itself (exec)
  unsigned ncgroup = 0;
  bool cgroup_sync = false;  // the parent joins us to the cgroup (and/or adds our veth) meanwhile: wait for its message
  const char* veth_name = nullptr;  // the host end, for a network failure's path
  const Rlimit* rlimits = nullptr;
  unsigned nrlimits = 0;

  // Process.
  const char* cwd = "/";
  const char* name = nullptr;  // args[0], reported when a PATH lookup finds nothing
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* const* candidates = nullptr;
  size_t ncandidates = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  size_t ngroups = 0;
  CapSets caps;
  int last_cap = 40;
  bool no_new_privs = true;
  const struct sock_fprog* seccomp = nullptr;
  int init_fd = -1;  // O_PATH fd of berth-init, or -1
  char* const* init_argv = nullptr;
  Stdio stdio = Stdio::kPipes;
  bool console = false;  // tty: bind the pty onto /dev/console
  unsigned short cols = 0, rows = 0;
  int stdin_r = -1;
  int stdout_w = -1;
  int stderr_w = -1;
  int report_w = -1;
  int parent_pidfd = -1;  // -1 if pidfd_open is unavailable
  bool die_with_parent = true;
  int start_fifo = -1;  // O_PATH fd of the exec fifo, or -1
};

// ---------------------------------------------------------------------------
// Parent side helpers.

std::vector<char*> NullTerminated(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// args[0] with a '/' is used as is; otherwise it is looked up in the PATH of
// the container's env (execvp semantics, an empty PATH element meaning ".").
std::vector<std::string> ExecCandidates(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return {name};
  std::string path = kDefaultPath;
  for (const std::string& kv : env) {
    if (kv.compare(0, 5, "PATH=") == 0) {
      path = kv.substr(5);
      break;
    }
  }
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (dir.empty()) dir = ".";
    out.push_back(dir.back() == '/' ? dir + name : dir + "/" + name);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// The process half of a plan, shared by containers and exec.
struct ProcessPlan {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  std::vector<std::string> candidates;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<const char*> candidate_ptrs;
  std::vector<gid_t> groups;
  std::shared_ptr<const SeccompProgram> seccomp;
  struct sock_fprog fprog = {};
};

int PrepareProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                   const std::string& cwd, const std::vector<gid_t>& groups, const CapSets& caps,
                   bool seccomp, ProcessPlan* p, Error* e) {
  if (args.empty() || args[0].empty()) return SetMessage(e, "exec", "args[0] must be a non-empty string");
  p->args = args;
  p->env = env;
  p->cwd = cwd.empty() ? "/" : cwd;
  p->groups = groups;
  p->candidates = ExecCandidates(p->args[0], p->env);
  p->argv = NullTerminated(p->args);
  p->envp = NullTerminated(p->env);
  for (const std::string& c : p->candidates) p->candidate_ptrs.push_back(c.c_str());
  if (seccomp) {
    p->seccomp = DefaultSeccompFilter(caps.bounding, e);
    if (!p->seccomp) return -1;
    p->fprog.len = static_cast<unsigned short>(p->seccomp->insns.size());
    p->fprog.filter = const_cast<struct sock_filter*>(p->seccomp->insns.data());
  }
  return 0;
}

void FillProcessArgs(const ProcessPlan& p, ChildArgs* a) {
  a->cwd = p.cwd.c_str();
  a->name = p.args[0].c_str();
  a->argv = p.argv.data();
  a->envp = p.envp.data();
  a->candidates = p.candidate_ptrs.data();
  a->ncandidates = p.candidate_ptrs.size();
  a->groups = p.groups.data();
  a->ngroups = p.groups.size();
  a->seccomp = p.seccomp ? &p.fprog : nullptr;
  a->last_cap = LastCap();
}

int MakePipe(unique_fd* read_end, unique_fd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return -1;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return 0;
}

}  // namespace

struct Prepared {
  ContainerConfig cfg;
  ProcessPlan process;
  std::vector<ChildMount> mounts;
  std::vector<const char*> lowerdirs;
  std::string overlay_options, overlay_base;  // the mount(2) fallback
  ChildOverlay overlay = {};
  std::vector<const char*> masked;
  std::vector<const char*> readonly;
  std::string uid_map, gid_map;
  unique_fd start_fifo;
  unique_fd init_binary;
  std::vector<std::string> init_args;
  std::vector<char*> init_argv;
  ChildArgs args;
};

struct PreparedExec {
  ExecConfig cfg;
  ProcessPlan process;
  unique_fd pidfd;
  int setns_flags = 0;
  std::vector<unique_fd> cgroups;
  std::vector<int> cgroup_fds;
  ChildArgs args;
};

namespace {

std::string MapText(const std::vector<IdMap>& maps) {
  std::string out;
  for (const IdMap& m : maps)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  return out;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

constexpr size_t kMaxMountData = 4095;  // mount(2) copies one page of options, NUL included

// "lowerdir=a:b,upperdir=u,workdir=w[,userxattr]"; empty if longer than a page.
std::string OverlayOptions(const std::vector<std::string>& lower, const ContainerConfig& c) {
  std::string out = "lowerdir=";
  for (size_t i = 0; i < lower.size(); ++i) {
    if (i > 0) out += ':';
    out += lower[i];
  }
  out += ",upperdir=" + c.upperdir + ",workdir=" + c.workdir;
  if (c.overlay_userxattr) out += ",userxattr";
  return out.size() <= kMaxMountData ? out : std::string();
}

// The deepest directory holding every lowerdir (component-wise, never a lowerdir itself),
// and each lowerdir relative to it; false if they share only "/".
bool CommonParent(const std::vector<std::string>& dirs, std::string* base, std::vector<std::string>* rel) {
  auto split = [](const std::string& p) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i < p.size()) {
      size_t j = p.find('/', i);
      if (j == std::string::npos) j = p.size();
      if (j > i) parts.push_back(p.substr(i, j - i));
      i = j + 1;
    }
    return parts;
  };
  std::vector<std::vector<std::string>> all;
  for (const std::string& d : dirs) all.push_back(split(d));
  size_t common = all[0].empty() ? 0 : all[0].size() - 1;
  for (const auto& parts : all) {
    size_t k = 0;
    const size_t limit = parts.empty() ? 0 : parts.size() - 1;
    while (k < common && k < limit && parts[k] == all[0][k]) ++k;
    common = k;
  }
  if (common == 0) return false;
  base->clear();
  for (size_t k = 0; k < common; ++k) *base += "/" + all[0][k];
  rel->clear();
  for (const auto& parts : all) {
    std::string r;
    for (size_t k = common; k < parts.size(); ++k) r += (k > common ? "/" : "") + parts[k];
    rel->push_back(r);
  }
  return true;
}

// The child's overlay plan: the layers for fsconfig("lowerdir+"), and for kernels
// without it (< 6.8) one mount(2) option string, with absolute paths if they fit
// in a page, else relative to the layers' common parent (the child chdirs there).
void PrepareOverlay(Prepared* p) {
  const ContainerConfig& c = p->cfg;
  for (const std::string& d : c.lowerdirs) p->lowerdirs.push_back(d.c_str());
  p->overlay_options = OverlayOptions(c.lowerdirs, c);
  std::vector<std::string> rel;
  if (p->overlay_options.empty() && CommonParent(c.lowerdirs, &p->overlay_base, &rel))
    p->overlay_options = OverlayOptions(rel, c);
  if (p->overlay_options.empty()) p->overlay_base.clear();
  ChildOverlay& o = p->overlay;
  o.lowerdirs = p->lowerdirs.data();
  o.nlower = static_cast<unsigned>(p->lowerdirs.size());
  o.upperdir = c.upperdir.c_str();
  o.workdir = c.workdir.c_str();
  o.userxattr = c.overlay_userxattr;
  o.legacy_options = p->overlay_options.empty() ? nullptr : p->overlay_options.c_str();
  o.chdir_to = p->overlay_base.empty() ? nullptr : p->overlay_base.c_str();
  const char* mode = getenv("BERTH_OVERLAY_MOUNT");
  o.force_legacy = mode != nullptr && strcmp(mode, "legacy") == 0;
}

Stage MountStage(const MountSpec& m) {
  if (m.destination == "/proc") return kStageProc;
  if (m.destination == "/sys") return kStageSys;
  if (m.destination.compare(0, 5, "/dev/") == 0 || m.destination == "/dev") return kStageDev;
  return kStageMounts;
}

}  // namespace

std::shared_ptr<Prepared> Prepare(const ContainerConfig& config, Error* e) {
  auto p = std::make_shared<Prepared>();
  p->cfg = config;
  ContainerConfig& c = p->cfg;
  if (PrepareProcess(c.args, c.env, c.cwd, c.additional_gids, c.caps, c.seccomp, &p->process, e) < 0)
    return nullptr;
  for (const MountSpec& m : c.mounts) {
    ChildMount cm = {};
    cm.source = m.source.empty() ? nullptr : m.source.c_str();
    cm.target = m.destination.c_str();
    cm.data = m.data.empty() ? nullptr : m.data.c_str();
    cm.stage = MountStage(m);
    cm.propagation = m.propagation;
    if (m.bind) {
      cm.fstype = nullptr;
      cm.flags = MS_BIND | (m.recursive ? MS_REC : 0);
      // Binds always get nodev (no device cgroup is relied on), plus ro/nosuid/noexec if asked.
      cm.remount = MS_NODEV | (m.flags & (MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NOATIME | MS_RELATIME | MS_STRICTATIME));
      cm.file = !IsDir(m.source);
    } else {
      cm.fstype = m.type.c_str();
      cm.flags = m.flags;
      if (m.destination == "/dev" && m.type == "tmpfs") {
        cm.flags |= MS_NODEV;  // only the bind-mounted host nodes are usable devices
        cm.is_dev = true;
      }
    }
    p->mounts.push_back(cm);
  }
  if (!c.lowerdirs.empty()) {
    if (c.lowerdirs.size() > kMaxOverlayLayers) {
      SetMessage(e, "overlay", std::to_string(c.lowerdirs.size()) + " lower layers: the kernel's overlayfs maximum is " +
                                   std::to_string(kMaxOverlayLayers));
      return nullptr;
    }
    PrepareOverlay(p.get());
  }
  for (const std::string& s : c.masked_paths) p->masked.push_back(s.c_str());
  for (const std::string& s : c.readonly_paths) p->readonly.push_back(s.c_str());
  if (c.namespaces & CLONE_NEWUSER) {
    if (c.uid_map.empty() || c.gid_map.empty()) {
      SetMessage(e, "userns", "a user namespace needs uidMap and gidMap");
      return nullptr;
    }
    p->uid_map = MapText(c.uid_map);
    p->gid_map = MapText(c.gid_map);
  }
  if (!c.start_fifo.empty()) {
    p->start_fifo.reset(open(c.start_fifo.c_str(), O_PATH | O_CLOEXEC));
    if (!p->start_fifo) {
      SetError(e, "start", errno, "open", c.start_fifo);
      return nullptr;
    }
  }
  for (const Rlimit& r : c.rlimits) {
    struct rlimit cur;
    if (getrlimit(r.resource, &cur) == 0 && r.hard > cur.rlim_max && cur.rlim_max != RLIM_INFINITY) {
      // Raising a hard limit needs CAP_SYS_RESOURCE in the host's user namespace.
      if (!(c.namespaces & CLONE_NEWUSER)) {
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2] = {};
        bool has = syscall(SYS_capget, &hdr, data) == 0 && (data[0].effective & (1u << 24));
        if (!has) {
          SetMessage(e, "rlimits", "rlimit " + std::to_string(r.resource) + ": hard limit " + std::to_string(r.hard) +
                                       " exceeds this process's hard limit " + std::to_string(cur.rlim_max) +
                                       " and CAP_SYS_RESOURCE is not held");
          return nullptr;
        }
      }
    }
  }

  ChildArgs& a = p->args;
  a.rootfs = c.rootfs.c_str();
  a.overlay = c.lowerdirs.empty() ? nullptr : &p->overlay;
  a.mounts = p->mounts.data();
  a.nmounts = static_cast<unsigned>(p->mounts.size());
  bool dev_tmpfs = false;
  for (const ChildMount& m : p->mounts) dev_tmpfs = dev_tmpfs || m.is_dev;
  a.populate_dev = c.populate_dev && dev_tmpfs;
  a.masked = p->masked.data();
  a.nmasked = static_cast<unsigned>(p->masked.size());
  a.readonly = p->readonly.data();
  a.nreadonly = static_cast<unsigned>(p->readonly.size());
  a.readonly_root = c.readonly_rootfs;
  if (!c.hostname.empty() && (c.namespaces & CLONE_NEWUTS)) {
    a.hostname = c.hostname.c_str();
    a.hostname_len = c.hostname.size();
  }
  a.net_ns = (c.namespaces & CLONE_NEWNET) != 0;
  a.userns = (c.namespaces & CLONE_NEWUSER) != 0;
  a.unshare_cgroupns = (c.namespaces & CLONE_NEWCGROUP) != 0;
  a.rlimits = c.rlimits.data();
  a.nrlimits = static_cast<unsigned>(c.rlimits.size());
  FillProcessArgs(p->process, &a);
  a.uid = c.uid;
  a.gid = c.gid;
  a.caps = c.caps;
  a.no_new_privs = c.no_new_privileges;
  if (c.init) {
    p->init_binary.reset(open(c.init_binary.c_str(), O_PATH | O_CLOEXEC));
    if (!p->init_binary) {
      SetError(e, "init", errno, "open", c.init_binary);
      return nullptr;
    }
    p->init_args = {"berth-init", "--"};
    p->init_args.insert(p->init_args.end(), c.args.begin(), c.args.end());
    p->init_argv = NullTerminated(p->init_args);
    a.init_fd = p->init_binary.get();
    a.init_argv = p->init_argv.data();
  }
  a.stdio = c.stdio;
  a.console = c.stdio == Stdio::kTty && dev_tmpfs;
  a.cols = c.tty_cols;
  a.rows = c.tty_rows;
  a.die_with_parent = c.die_with_parent;
  a.start_fifo = p->start_fifo ? p->start_fifo.get() : -1;
  return p;
}

std::shared_ptr<PreparedExec> PrepareExec(const ExecConfig& config, Error* e) {
  auto p = std::make_shared<PreparedExec>();
  p->cfg = config;
  ExecConfig& c = p->cfg;
  if (PrepareProcess(c.args, c.env, c.cwd, c.additional_gids, c.caps, c.seccomp, &p->process, e) < 0)
    return nullptr;
  p->pidfd.reset(static_cast<int>(syscall(SYS_pidfd_open, c.pid, 0)));
  if (!p->pidfd) {
    SetError(e, "setns", errno, "pidfd_open");
    return nullptr;
  }
  // Join every namespace in which the container differs from us.
  static const struct {
    const char* name;
    int flag;
  } kNs[] = {{"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID}, {"uts", CLONE_NEWUTS},
             {"ipc", CLONE_NEWIPC},   {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP}};
  const std::string base = "/proc/" + std::to_string(c.pid) + "/ns/";
  for (const auto& ns : kNs) {
    struct stat theirs, ours;
    if (stat((base + ns.name).c_str(), &theirs) < 0) {
      if (errno == ENOENT && std::string(ns.name) != "mnt") continue;
      SetError(e, "setns", errno, "stat", base + ns.name);
      return nullptr;
    }
    if (stat((std::string("/proc/self/ns/") + ns.name).c_str(), &ours) < 0 || ours.st_ino != theirs.st_ino ||
        ours.st_dev != theirs.st_dev)
      p->setns_flags |= ns.flag;
  }
  if (OpenCgroupsOf(c.pid, &p->cgroups, e) < 0) return nullptr;
  for (const unique_fd& fd : p->cgroups) p->cgroup_fds.push_back(fd.get());

  ChildArgs& a = p->args;
  a.exec_pidfd = p->pidfd.get();
  a.setns_flags = p->setns_flags;
  a.cgroup_fds = p->cgroup_fds.data();
  a.ncgroup = static_cast<unsigned>(p->cgroup_fds.size());
  FillProcessArgs(p->process, &a);
  a.uid = c.uid;
  a.gid = c.gid;
  a.caps = c.caps;
  a.no_new_privs = c.no_new_privileges;
  a.stdio = c.stdio;
  a.cols = c.tty_cols;
  a.rows = c.tty_rows;
  return p;
}

namespace {

// ---------------------------------------------------------------------------
// Child side. Only the code below runs between clone and execve.

void CopyBounded(char* dst, size_t size, const char* src) noexcept {
  size_t i = 0;
  if (src != nullptr) {
    for (; i + 1 < size && src[i] != '\0'; ++i) dst[i] = src[i];
  }
  dst[i] = '\0';
}

void SendReport(int fd, int32_t kind, const ChildError* e, int32_t value, int pass_fd) noexcept {
  ChildReport r;
  std::memset(&r, 0, sizeof r);
  r.kind = kind;
  r.value = value;
  if (e != nullptr) {
    r.stage = e->stage;
    r.err = e->err;
    CopyBounded(r.syscall, sizeof r.syscall, e->syscall);
    CopyBounded(r.path, sizeof r.path, e->path);
  }
  struct iovec iov = {&r, sizeof r};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (pass_fd >= 0) {
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
  }
  // One datagram of a SOCK_SEQPACKET: the parent never sees half a report.
  while (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void Report(int fd, const ChildError& e) noexcept {
  SendReport(fd, kReportError, &e, 0, -1);
  _exit(127);
}

// The child inherits Node's handlers (which write to libuv's signal pipe) and
// ignored signals (SIGPIPE), and the all-blocked mask the parent set around clone.
void ResetSignals() noexcept {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, nullptr);  // EINVAL for glibc-internal ones
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// getppid() is 0 inside a new pid namespace whether or not the parent lives, so
// the PR_SET_PDEATHSIG race is checked on a pidfd of the parent: readable once it exited.
bool ParentGone(int pidfd) noexcept {
  if (pidfd < 0) return false;
  struct pollfd pfd = {pidfd, POLLIN, 0};
  return poll(&pfd, 1, 0) > 0;
}

int DieWithParent(const ChildArgs& a, ChildError* e, Stage stage) noexcept {
  if (!a.die_with_parent) return 0;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) return Fail(e, stage, "prctl", nullptr);
  if (ParentGone(a.parent_pidfd)) _exit(127);
  return 0;
}

// Keeps `*fd` off 0..2 so that installing stdio cannot clobber it.
int MoveAboveStdio(int* fd, ChildError* e) noexcept {
  if (*fd < 0 || *fd > 2) return 0;
  int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return Fail(e, kStageClone, "fcntl", nullptr);
  *fd = moved;
  return 0;
}

int BringUpLoopback(ChildError* e) noexcept {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Fail(e, kStageNetwork, "socket", nullptr);
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::memcpy(ifr.ifr_name, "lo", 3);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  if (rc < 0) Fail(e, kStageNetwork, "ioctl", "lo");
  close(s);
  return rc < 0 ? -1 : 0;
}

int JoinCgroups(const ChildArgs& a, ChildError* e) noexcept {
  for (unsigned i = 0; i < a.ncgroup; ++i) {
    // "0" is the writing process itself: no pid translation across namespaces.
    if (write(a.cgroup_fds[i], "0", 1) < 0) return Fail(e, kStageCgroup, "write", "cgroup.procs");
    close(a.cgroup_fds[i]);
  }
  return 0;
}

int SetRlimits(const ChildArgs& a, ChildError* e) noexcept {
  for (unsigned i = 0; i < a.nrlimits; ++i) {
    struct rlimit64 rl = {a.rlimits[i].soft, a.rlimits[i].hard};
    if (syscall(SYS_prlimit64, 0, a.rlimits[i].resource, &rl, nullptr) < 0)
      return Fail(e, kStageRlimits, "prlimit64", nullptr);
  }
  return 0;
}

// Opens a pty in the container's own devpts, sends the master to the parent,
// returns the slave. With `console`, the slave is also bound onto /dev/console.
int SetupTty(const ChildArgs& a, int report, ChildError* e) noexcept {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return Fail(e, kStageTty, "open", "/dev/ptmx");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) {
    Fail(e, kStageTty, "ioctl", "TIOCSPTLCK");
    close(master);
    return -1;
  }
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    Fail(e, kStageTty, "ioctl", "TIOCGPTPEER");
    close(master);
    return -1;
  }
  if (a.cols != 0 && a.rows != 0) {
    struct winsize ws = {a.rows, a.cols, 0, 0};
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  if (a.console) {
    unsigned n = 0;
    char path[32] = "/dev/pts/";
    if (ioctl(master, TIOCGPTN, &n) == 0) {
      char digits[12];
      int k = 0;
      do {
        digits[k++] = static_cast<char>('0' + n % 10);
        n /= 10;
      } while (n != 0);
      size_t i = 9;
      while (k > 0) path[i++] = digits[--k];
      path[i] = '\0';
      int f = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (f >= 0) close(f);
      if (f < 0 || mount(path, "/dev/console", nullptr, MS_BIND, nullptr) < 0) {
        Fail(e, kStageTty, f < 0 ? "open" : "mount", "/dev/console");
        close(master);
        close(slave);
        return -1;
      }
    }
  }
  if (fchown(slave, a.uid, static_cast<gid_t>(-1)) < 0 && errno != EINVAL) {
    Fail(e, kStageTty, "fchown", "/dev/pts");
    close(master);
    close(slave);
    return -1;
  }
  SendReport(report, kReportPty, nullptr, 0, master);
  close(master);
  return slave;
}

int SwitchUser(const ChildArgs& a, ChildError* e) noexcept {
  // Raw syscalls: glibc's wrappers would try to broadcast the change to the
  // parent's threads, which exist only in glibc's (copied) bookkeeping here.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return Fail(e, kStageUser, "prctl", "PR_SET_KEEPCAPS");
  if (syscall(SYS_setgroups, a.ngroups, a.groups) < 0) return Fail(e, kStageUser, "setgroups", nullptr);
  if (syscall(SYS_setgid, a.gid) < 0) return Fail(e, kStageUser, "setgid", nullptr);
  if (syscall(SYS_setuid, a.uid) < 0) return Fail(e, kStageUser, "setuid", nullptr);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return Fail(e, kStageUser, "prctl", "PR_SET_KEEPCAPS");
  // Changing credentials clears the parent-death signal: set it again.
  return DieWithParent(a, e, kStageUser);
}

int DupTo(int fd, int target) noexcept {
  if (fd == target) return fcntl(fd, F_SETFD, 0);  // dup2 would leave FD_CLOEXEC set
  return dup2(fd, target) < 0 ? -1 : 0;
}

int SetupStdio(const ChildArgs& a, int in, int out, int err, int tty, ChildError* e) noexcept {
  if (a.stdio == Stdio::kInherit) return 0;
  if (a.stdio == Stdio::kTty) {
    if (ioctl(tty, TIOCSCTTY, 0) < 0) return Fail(e, kStageTty, "ioctl", "TIOCSCTTY");
    for (int target = 0; target < 3; ++target) {
      if (DupTo(tty, target) < 0) return Fail(e, kStageTty, "dup2", nullptr);
    }
    if (tty > 2) close(tty);
    return 0;
  }
  if (DupTo(out, 1) < 0) return Fail(e, kStageExec, "dup2", nullptr);
  if (DupTo(err, 2) < 0) return Fail(e, kStageExec, "dup2", nullptr);
  if (in >= 0) {
    if (DupTo(in, 0) < 0) return Fail(e, kStageExec, "dup2", nullptr);
    return 0;
  }
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0) return Fail(e, kStageExec, "open", "/dev/null");
  if (DupTo(null, 0) < 0) return Fail(e, kStageExec, "dup2", "/dev/null");
  if (null != 0) close(null);
  return 0;
}

// Closes every fd from 3 up except the `keep` ones (-1 for none).
void CloseOtherFds(int k1, int k2, int k3) noexcept {
  const int keep[] = {k1, k2, k3};
  CloseFdsExcept(keep, 3, nullptr, 0);
}

[[noreturn]] void ExecCommand(const ChildArgs& a, int report) noexcept {
  // execvp's precedence: EACCES from any candidate beats ENOENT; any other
  // error (ENOEXEC, E2BIG, ELOOP, ...) stops the search.
  int best = ENOENT;
  const char* best_path = a.name;  // a failed PATH lookup reports the name asked for
  for (size_t i = 0; i < a.ncandidates; ++i) {
    execve(a.candidates[i], a.argv, a.envp);
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) continue;
    if (err == EACCES) {
      if (best != EACCES) {
        best = EACCES;
        best_path = a.candidates[i];
      }
      continue;
    }
    best = err;
    best_path = a.candidates[i];
    break;
  }
  ChildError e;
  FailWith(&e, best, kStageExec, "execve", best_path);
  Report(report, e);
}

// berth-init (init_main.cc) as pid 1: it gets the report channel as fd 3 and
// reports a failed execve of the command there itself.
[[noreturn]] void ExecInit(const ChildArgs& a, int report) noexcept {
  ChildError e;
  int init_fd = a.init_fd;
  if (init_fd == 3 && (init_fd = fcntl(3, F_DUPFD_CLOEXEC, 4)) < 0) {
    Fail(&e, kStageInit, "fcntl", nullptr);
    Report(report, e);
  }
  if (report != 3 && dup2(report, 3) < 0) {
    Fail(&e, kStageInit, "dup2", nullptr);
    Report(report, e);
  }
  if (report == 3) fcntl(3, F_SETFD, 0);
  syscall(SYS_execveat, init_fd, "", a.init_argv, a.envp, AT_EMPTY_PATH);
  Fail(&e, kStageInit, "execveat", "berth-init");
  Report(report, e);
}

// The process part, shared by containers and exec: tty, capabilities, user,
// cwd, stdio, no_new_privs, seccomp (last), then execve (or init first).
[[noreturn]] void FinishAndExec(const ChildArgs& a, int report, int in, int out, int err) noexcept {
  ChildError e;
  int tty = -1;
  if (a.stdio == Stdio::kTty && (tty = SetupTty(a, report, &e)) < 0) Report(report, e);
  if (MoveAboveStdio(&tty, &e) < 0) Report(report, e);
  // Without no_new_privs only CAP_SYS_ADMIN may install a filter: do it while we still
  // hold it (runc's order). The rest of the setup only makes syscalls the policy allows.
  const bool seccomp_early = a.seccomp != nullptr && !a.no_new_privs;
  if (seccomp_early && LoadSeccomp(a.seccomp, &e) < 0) Report(report, e);
  if (DropBounding(a.caps.bounding, a.last_cap, &e) < 0) Report(report, e);
  if (SwitchUser(a, &e) < 0) Report(report, e);
  if (SetCaps(a.caps, a.last_cap, &e) < 0) Report(report, e);
  if (EnterCwd(a.cwd, &e) < 0) Report(report, e);
  if (SetupStdio(a, in, out, err, tty, &e) < 0) Report(report, e);
  int fifo = a.start_fifo;
  CloseOtherFds(report, fifo, a.init_fd);
  umask(022);
  if (a.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    Fail(&e, kStageNoNewPrivs, "prctl", "PR_SET_NO_NEW_PRIVS");
    Report(report, e);
  }
  if (a.seccomp != nullptr && !seccomp_early && LoadSeccomp(a.seccomp, &e) < 0) Report(report, e);
  if (fifo >= 0) {
    // berth-runtime create: tell the parent we are ready, then block until `start` opens the fifo.
    SendReport(report, kReportReady, nullptr, 0, -1);
    char path[32];
    FdPath(path, fifo);
    int w = open(path, O_WRONLY | O_CLOEXEC);
    if (w < 0 || write(w, "0", 1) != 1) {
      Fail(&e, kStageStart, w < 0 ? "open" : "write", "exec.fifo");
      Report(report, e);
    }
    close(w);
    close(fifo);
  }
  if (a.init_fd >= 0) ExecInit(a, report);
  ExecCommand(a, report);
}

[[noreturn]] void ExecChild(const ChildArgs& a, int report, int in, int out, int err) noexcept {
  ChildError e;
  if (JoinCgroups(a, &e) < 0) Report(report, e);
  if (setns(a.exec_pidfd, a.setns_flags) < 0) {
    Fail(&e, kStageSetns, "setns", nullptr);
    Report(report, e);
  }
  // setns(CLONE_NEWPID) only places our children in the container's pid
  // namespace; CLONE_PARENT makes that child the caller's, so it can be waited for.
  long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) {
    Fail(&e, kStageClone, "clone", nullptr);
    Report(report, e);
  }
  if (pid == 0) {
    setsid();
    if (DieWithParent(a, &e, kStageClone) < 0) Report(report, e);
    FinishAndExec(a, report, in, out, err);
  }
  SendReport(report, kReportPid, nullptr, static_cast<int32_t>(pid), -1);
  _exit(0);
}

[[noreturn]] void ChildMain(const ChildArgs& a) noexcept {
  ChildError e;
  int report = a.report_w;
  int in = a.stdin_r;
  int out = a.stdout_w;
  int err = a.stderr_w;

  ResetSignals();
  // Until execve we are a copy of the caller's memory: keep container processes (same uid)
  // from ptrace-attaching or reading /proc/<pid>/mem|environ meanwhile. execve resets it.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (DieWithParent(a, &e, kStageClone) < 0) Report(report, e);
  if (MoveAboveStdio(&report, &e) < 0 || MoveAboveStdio(&in, &e) < 0 || MoveAboveStdio(&out, &e) < 0 ||
      MoveAboveStdio(&err, &e) < 0)
    Report(report, e);
  // Before any path is looked at: only what the child was handed stays open.
  const int keep[] = {report, in, out, err, a.parent_pidfd, a.init_fd, a.start_fifo, a.exec_pidfd};
  CloseFdsExcept(keep, sizeof keep / sizeof keep[0], a.cgroup_fds, a.ncgroup);
  if (a.exec_pidfd >= 0) ExecChild(a, report, in, out, err);

  setsid();  // own session and process group: no terminal signals from the worker's
  if (a.userns) {
    // Wait until the parent wrote our uid/gid maps.
    char go;
    ssize_t n;
    while ((n = read(report, &go, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) _exit(127);
    // Still the caller's (unmapped) ids until now: become the namespace's root, so that
    // what we create (overlay's work dir, devices' mount points) belongs to a mapped owner.
    if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0) {
      Fail(&e, kStageUserns, "setresuid", nullptr);
      Report(report, e);
    }
  }
  umask(0);  // directories get exactly the modes asked for

  if (MakeMountsPrivate(&e) < 0) Report(report, e);
  int rootfd = MountRoot(a.rootfs, a.overlay, &e);  // also chdir(rootfs)
  if (rootfd < 0) Report(report, e);
  if (MountAll(rootfd, a.mounts, a.nmounts, &e) < 0) Report(report, e);
  if (a.populate_dev && PopulateDev(rootfd, &e) < 0) Report(report, e);
  close(rootfd);
  if (PivotRoot(&e) < 0) Report(report, e);
  if (MaskPaths(a.masked, a.nmasked, &e) < 0) Report(report, e);
  if (ReadonlyPaths(a.readonly, a.nreadonly, &e) < 0) Report(report, e);
  if (a.readonly_root && RemountRootReadonly(&e) < 0) Report(report, e);
  if (a.net_ns && BringUpLoopback(&e) < 0) Report(report, e);
  if (a.hostname != nullptr && sethostname(a.hostname, a.hostname_len) < 0) {
    Fail(&e, kStageHostname, "sethostname", a.hostname);
    Report(report, e);
  }
  if (SetRlimits(a, &e) < 0) Report(report, e);
  if (a.cgroup_sync) {
    // The parent wrote our pid to cgroup.procs while we mounted (a v1 attach can take
    // milliseconds); its message is 0 or the errno of the failed write.
    // With a veth, the message is {stage, errno} of the first failure ({0, 0}: all done).
    int32_t joined[2] = {-1, -1};
    ssize_t n;
    while ((n = read(report, joined, sizeof joined)) < 0 && errno == EINTR) {
    }
    if (n != static_cast<ssize_t>(sizeof joined)) _exit(127);
    if (joined[1] != 0) {
      if (joined[0] == kStageNetwork) FailWith(&e, joined[1], kStageNetwork, "netlink", a.veth_name);
      else FailWith(&e, joined[1], kStageCgroup, "write", "cgroup.procs");
      Report(report, e);
    }
  }
  // After joining: the namespace's root is the container's own cgroup.
  if (a.unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0) {
    Fail(&e, kStageCgroup, "unshare", "CLONE_NEWCGROUP");
    Report(report, e);
  }
  FinishAndExec(a, report, in, out, err);
}

int WriteProcFile(pid_t pid, const char* name, const std::string& text, Error* e) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  unique_fd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return SetError(e, "userns", errno, "open", path);
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return SetError(e, "userns", errno, "write", path);
  return 0;
}

// Clones `a` (plus flags) with all signals blocked; returns the pid or -1 + errno.
long CloneChild(unsigned long flags, const ChildArgs& a) {
  // No Node signal handler may run in the child before it resets them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) ChildMain(a);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = clone_errno;
  return pid;
}

// What the detached shim needs, prepared before clone (the clones may not allocate).
struct ShimLaunch {
  const char* binary = nullptr;
  int listen_fd = -1;  // bound to <dir>/shim.sock, listening
  int dir_fd = -1;     // the container's directory: the shim's cwd
  int pid_w = -1;      // the container's pid goes back to the caller here
  int report_w = -1;   // the child's report channel: a failure to become the shim is reported there
  char pid_text[16] = {};
  char* argv[3] = {};
  char* envp[1] = {nullptr};
};

void FormatPid(char* out, long pid) noexcept {
  char digits[16];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + pid % 10);
    pid /= 10;
  } while (pid > 0 && n < 15);
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  out[n] = '\0';
}

// Runs in a clone of the caller. The first clone only starts a new session and forks the
// second, then exits: the second is nobody's child (its parent, init, reaps it one day) and in
// no process group of the caller's, so neither a crash of the caller nor a Ctrl-C to its group
// reaches it. The second clones the container (its child from now on, dying with it through
// PR_SET_PDEATHSIG), tells the caller the container's pid, then execs berth-shim.
[[noreturn]] void ShimIntermediate(unsigned long flags, const ChildArgs& a, ShimLaunch* s) noexcept {
  ChildError e;
  if (setsid() < 0) {
    Fail(&e, kStageShim, "setsid", nullptr);
    Report(s->report_w, e);
  }
  long second = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (second < 0) {
    Fail(&e, kStageShim, "clone", nullptr);
    Report(s->report_w, e);
  }
  if (second > 0) _exit(0);
  ChildArgs child = a;
  child.parent_pidfd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) ChildMain(child);
  if (pid < 0) {
    Fail(&e, kStageClone, "clone", nullptr);
    Report(s->report_w, e);
  }
  const int32_t value = static_cast<int32_t>(pid);
  if (write(s->pid_w, &value, sizeof value) != static_cast<ssize_t>(sizeof value)) _exit(127);  // the child dies with us
  FormatPid(s->pid_text, pid);
  s->argv[1] = s->pid_text;
  int report = s->report_w;
  if (report == 3 && (report = fcntl(3, F_DUPFD_CLOEXEC, 4)) < 0) _exit(127);
  int listen_fd = s->listen_fd;
  if (fchdir(s->dir_fd) < 0) {
    Fail(&e, kStageShim, "fchdir", nullptr);
    Report(report, e);
  }
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) {
    Fail(&e, kStageShim, "open", "/dev/null");
    Report(report, e);
  }
  // The listening socket crosses execve as fd 3; nothing else does.
  if ((listen_fd == 3 ? fcntl(3, F_SETFD, 0) : dup2(listen_fd, 3)) < 0) {
    Fail(&e, kStageShim, "dup2", nullptr);
    Report(report, e);
  }
  const int keep[] = {3, report};
  CloseFdsExcept(keep, 2, nullptr, 0);
  execve(s->binary, s->argv, s->envp);
  Fail(&e, kStageShim, "execve", s->binary);
  Report(report, e);
}

long CloneShim(unsigned long flags, const ChildArgs& a, ShimLaunch* s) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) ShimIntermediate(flags, a, s);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = clone_errno;
  return pid;
}

// The shim's socket in `dir`, bound through /proc/self/fd: a container's directory may be
// longer than sun_path allows.
int ListenShimSocket(const std::string& dir, unique_fd* dir_fd, unique_fd* sock, Error* e) {
  dir_fd->reset(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!*dir_fd) return SetError(e, "shim", errno, "open", dir);
  for (const char* name : {kShimSocket, kShimExitFile}) {
    if (unlinkat(dir_fd->get(), name, 0) < 0 && errno != ENOENT) return SetError(e, "shim", errno, "unlink", dir + "/" + name);
  }
  sock->reset(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!*sock) return SetError(e, "shim", errno, "socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir_fd->get(), kShimSocket);
  if (bind(sock->get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
    return SetError(e, "shim", errno, "bind", dir + "/" + kShimSocket);
  if (listen(sock->get(), 16) < 0) return SetError(e, "shim", errno, "listen");
  return 0;
}

// Clones the container through a detached shim (see ShimIntermediate); returns its pid.
long LaunchThroughShim(const ContainerConfig& c, unsigned long flags, const ChildArgs& a, Error* e) {
  unique_fd dir, sock, pid_r, pid_w;
  if (ListenShimSocket(c.shim_dir, &dir, &sock, e) < 0) return -1;
  if (MakePipe(&pid_r, &pid_w) < 0) return SetError(e, "shim", errno, "pipe2");
  ShimLaunch s;
  s.binary = c.shim_binary.c_str();
  s.argv[0] = const_cast<char*>(c.shim_binary.c_str());
  s.listen_fd = sock.get();
  s.dir_fd = dir.get();
  s.pid_w = pid_w.get();
  s.report_w = a.report_w;
  long first = CloneShim(flags, a, &s);
  if (first < 0) return SetError(e, "clone", errno, "clone");
  pid_w.reset();
  sock.reset();
  int32_t pid = -1;
  ssize_t n;
  do {
    n = read(pid_r.get(), &pid, sizeof pid);
  } while (n < 0 && errno == EINTR);
  const int read_errno = errno;
  Reap(static_cast<pid_t>(first));  // exits as soon as the second clone exists
  if (n != static_cast<ssize_t>(sizeof pid) || pid <= 0)
    return SetError(e, "shim", n < 0 ? read_errno : EPIPE, "clone", c.shim_binary);
  return pid;
}

int Channel(unique_fd* parent, unique_fd* child) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return -1;
  parent->reset(sv[0]);
  child->reset(sv[1]);
  return 0;
}

int MakeStdio(Stdio stdio, bool open_stdin, Launched* out, unique_fd* in_r, unique_fd* out_w, unique_fd* err_w) {
  if (stdio != Stdio::kPipes) return 0;
  if (MakePipe(&out->stdout_r, out_w) < 0 || MakePipe(&out->stderr_r, err_w) < 0) return -1;
  if (open_stdin && MakePipe(in_r, &out->stdin_w) < 0) return -1;
  return 0;
}

// Writes `pid` to every cgroup.procs and adds the container's network interfaces
// (`veths`, one per network); then tells the child {stage, errno} on `channel`. On a thread: a cgroup v1
// attach waits for an RCU grace period (milliseconds) and veth creation takes a few netlink
// round trips, which must neither block the caller's event loop nor the child, who mounts
// meanwhile.
void JoinInBackground(pid_t pid, std::vector<unique_fd> procs, unique_fd channel, unique_fd netns, std::vector<VethSpec> veths) {
  struct Job {
    pid_t pid;
    std::vector<unique_fd> procs;
    unique_fd channel;
    unique_fd netns;
    std::vector<VethSpec> veths;
    void Run() {
      const std::string text = std::to_string(pid);
      int32_t result[2] = {kStageCgroup, 0};
      for (const unique_fd& fd : procs) {
        if (write(fd.get(), text.data(), text.size()) < 0) {
          result[1] = errno;
          break;
        }
      }
      procs.clear();
      for (const VethSpec& veth : veths) {
        if (result[1] != 0) break;
        Error e;
        if (!netns) {
          result[0] = kStageNetwork;
          result[1] = EBADF;
        } else if (AttachVeth(netns.get(), veth, &e) < 0) {
          result[0] = kStageNetwork;
          result[1] = e.err ? e.err : EINVAL;
        }
      }
      netns.reset();
      // MSG_NOSIGNAL: the child may be gone already (killed); nobody to tell then.
      send(channel.get(), result, sizeof result, MSG_NOSIGNAL);
      channel.reset();
    }
  };
  auto job = std::make_shared<Job>(Job{pid, std::move(procs), std::move(channel), std::move(netns), std::move(veths)});
  try {
    std::thread([job] { job->Run(); }).detach();
  } catch (const std::system_error&) {
    job->Run();  // no thread to spare: join from here
  }
}

}  // namespace

int Launch(Prepared& p, Launched* out, Error* e) {
  ContainerConfig& c = p.cfg;
  unique_fd rep_w, in_r, out_w, err_w;
  if (Channel(&out->report, &rep_w) < 0) return SetError(e, "clone", errno, "socketpair");
  if (MakeStdio(c.stdio, c.open_stdin, out, &in_r, &out_w, &err_w) < 0) return SetError(e, "clone", errno, "pipe2");
  const bool shim = !c.shim_dir.empty();
  unique_fd self(c.die_with_parent && !shim ? static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)) : -1);

  CgroupHandle cgroup;
  if (c.has_cgroup && CreateCgroup(c.cgroup, &cgroup, e) < 0) return -1;
  // Joined from here once the child exists (see JoinInBackground).
  unique_fd joiner_channel;
  const bool veth = c.has_veth && (c.namespaces & CLONE_NEWNET);
  if (c.has_cgroup || veth) {
    joiner_channel.reset(fcntl(out->report.get(), F_DUPFD_CLOEXEC, 3));
    if (!joiner_channel) {
      RemoveCreated(cgroup.created);
      return SetError(e, "cgroup", errno, "fcntl");
    }
  }

  ChildArgs a = p.args;
  a.cgroup_sync = c.has_cgroup || veth;
  a.veth_name = c.veth.host_ifname.c_str();
  a.report_w = rep_w.get();
  a.stdin_r = in_r.get();
  a.stdout_w = out_w.get();
  a.stderr_w = err_w.get();
  a.parent_pidfd = self.get();

  const unsigned long flags = static_cast<unsigned long>(c.namespaces) & ~static_cast<unsigned long>(CLONE_NEWCGROUP);
  Error shim_error;
  long pid = shim ? LaunchThroughShim(c, flags, a, &shim_error) : CloneChild(flags, a);
  const int clone_errno = errno;
  // Before anything else can clone: the child alone holds its ends.
  rep_w.reset();
  in_r.reset();
  out_w.reset();
  err_w.reset();
  self.reset();
  if (pid < 0) {
    cgroup.procs.clear();
    RemoveCreated(cgroup.created);
    if (shim) {
      *e = shim_error;
      return -1;
    }
    return SetError(e, "clone", clone_errno, "clone");
  }
  out->pid = static_cast<pid_t>(pid);
  out->cgroup_created = std::move(cgroup.created);

  if (a.userns) {
    int rc = WriteProcFile(out->pid, "uid_map", p.uid_map, e);
    if (rc == 0) rc = WriteProcFile(out->pid, "gid_map", p.gid_map, e);
    if (rc == 0 && write(out->report.get(), "g", 1) != 1) rc = SetError(e, "userns", errno, "write");
    if (rc < 0) {
      kill(out->pid, SIGKILL);
      if (!shim) Reap(out->pid);  // else the shim's child: it reaps it
      RemoveCreated(out->cgroup_created);
      out->pid = -1;
      return -1;
    }
  }
  if (c.has_cgroup || veth) {
    unique_fd netns;
    if (veth) netns.reset(open(("/proc/" + std::to_string(out->pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC));
    std::vector<VethSpec> veths;
    if (veth) {
      veths.push_back(c.veth);
      veths.insert(veths.end(), c.extra_veths.begin(), c.extra_veths.end());
    }
    JoinInBackground(out->pid, std::move(cgroup.procs), std::move(joiner_channel), std::move(netns), std::move(veths));
  }
  return 0;
}

int LaunchExec(PreparedExec& p, Launched* out, Error* e) {
  unique_fd rep_w, in_r, out_w, err_w;
  if (Channel(&out->report, &rep_w) < 0) return SetError(e, "clone", errno, "socketpair");
  if (MakeStdio(p.cfg.stdio, p.cfg.open_stdin, out, &in_r, &out_w, &err_w) < 0)
    return SetError(e, "clone", errno, "pipe2");
  unique_fd self(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));
  ChildArgs a = p.args;
  a.report_w = rep_w.get();
  a.stdin_r = in_r.get();
  a.stdout_w = out_w.get();
  a.stderr_w = err_w.get();
  a.parent_pidfd = self.get();
  long pid = CloneChild(0, a);
  const int clone_errno = errno;
  rep_w.reset();
  in_r.reset();
  out_w.reset();
  err_w.reset();
  if (pid < 0) return SetError(e, "clone", clone_errno, "clone");
  out->pid = static_cast<pid_t>(pid);
  return 0;
}

ssize_t ReadReport(int fd, ChildReport* r, int* passed_fd) {
  *passed_fd = -1;
  std::memset(r, 0, sizeof *r);
  struct iovec iov = {r, sizeof *r};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return n;
  for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) std::memcpy(passed_fd, CMSG_DATA(cm), sizeof(int));
  }
  r->syscall[sizeof r->syscall - 1] = '\0';
  r->path[sizeof r->path - 1] = '\0';
  return n;
}

int Reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace berth
