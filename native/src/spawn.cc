// Container creation: a fork-like clone into new pid/mount/uts/ipc/net
// namespaces on the JS thread, child setup up to execve, and a non-blocking
// wait (uv_poll on the CLOEXEC report pipe) for the setup outcome.
//
// The Node process is multi-threaded, so between clone and execve the child
// may only make raw syscalls / async-signal-safe calls: no malloc, no C++
// allocation, no std::string. Everything it needs is prepared in a Plan
// before clone and handed over as plain pointers (ChildArgs).
#include "spawn.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "child.h"
#include "errors.h"
#include "mounts.h"
#include "unique_fd.h"

namespace berth {

const char* StageName(int32_t stage) noexcept {
  static const char* const kNames[kStageCount] = {
      "clone",    "mount-private", "overlay", "proc", "dev",  "sys",
      "pivot_root", "network",     "hostname", "user", "cwd", "exec",
  };
  return stage >= 0 && stage < kStageCount ? kNames[stage] : "unknown";
}

namespace {

constexpr unsigned long kCloneFlags =
    CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr size_t kMaxMountData = 4095;  // mount(2) copies at most one page of options

// ---------------------------------------------------------------------------
// Parent side: the plan, built from the JS spec before clone.

struct Plan {
  std::string rootfs;
  std::string overlay;  // "lowerdir=a:b,upperdir=u,workdir=w"
  std::string hostname;
  std::string cwd;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<std::string> candidates;  // execve paths, in lookup order
  uid_t uid = 0;
  gid_t gid = 0;
  // NULL-terminated views into the strings above.
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<const char*> candidate_ptrs;
};

[[noreturn]] void ThrowField(Napi::Env env, const char* field, const char* what) {
  throw Napi::TypeError::New(env, std::string("RunSpec.") + field + ": " + what);
}

std::string GetString(Napi::Env env, Napi::Object spec, const char* field) {
  Napi::Value v = spec.Get(field);
  if (!v.IsString()) ThrowField(env, field, "expected a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) ThrowField(env, field, "contains a NUL byte");
  return s;
}

std::vector<std::string> GetStrings(Napi::Env env, Napi::Object spec, const char* field) {
  Napi::Value v = spec.Get(field);
  if (!v.IsArray()) ThrowField(env, field, "expected an array of strings");
  Napi::Array array = v.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) ThrowField(env, field, "expected an array of strings");
    out.push_back(item.As<Napi::String>().Utf8Value());
    if (out.back().find('\0') != std::string::npos) ThrowField(env, field, "contains a NUL byte");
  }
  return out;
}

uint32_t GetId(Napi::Env env, Napi::Object spec, const char* field) {
  Napi::Value v = spec.Get(field);
  if (!v.IsNumber()) ThrowField(env, field, "expected an integer id");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
    ThrowField(env, field, "expected an integer id");
  return static_cast<uint32_t>(d);
}

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

Plan ReadPlan(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "spawn: expected a RunSpec object");
  Napi::Object spec = value.As<Napi::Object>();
  Plan p;
  p.rootfs = GetString(env, spec, "rootfs");
  std::vector<std::string> lowerdirs = GetStrings(env, spec, "lowerdirs");
  std::string upperdir = GetString(env, spec, "upperdir");
  std::string workdir = GetString(env, spec, "workdir");
  p.args = GetStrings(env, spec, "args");
  p.env = GetStrings(env, spec, "env");
  p.cwd = GetString(env, spec, "cwd");
  p.hostname = GetString(env, spec, "hostname");
  p.uid = GetId(env, spec, "uid");
  p.gid = GetId(env, spec, "gid");

  if (lowerdirs.empty()) ThrowField(env, "lowerdirs", "at least one layer is required");
  if (p.args.empty() || p.args[0].empty()) ThrowField(env, "args", "args[0] must be a non-empty string");
  if (p.hostname.size() > 64) ThrowField(env, "hostname", "longer than 64 bytes");

  p.overlay = "lowerdir=";
  for (size_t i = 0; i < lowerdirs.size(); ++i) {
    if (i > 0) p.overlay += ':';
    p.overlay += lowerdirs[i];
  }
  p.overlay += ",upperdir=" + upperdir + ",workdir=" + workdir;
  if (p.overlay.size() > kMaxMountData) ThrowField(env, "lowerdirs", "overlay options exceed 4095 bytes");

  p.candidates = ExecCandidates(p.args[0], p.env);
  p.argv = NullTerminated(p.args);
  p.envp = NullTerminated(p.env);
  for (const std::string& c : p.candidates) p.candidate_ptrs.push_back(c.c_str());
  return p;
}

// ---------------------------------------------------------------------------
// Child side. Only the code below runs between clone and execve.

struct ChildArgs {
  const char* rootfs;
  const char* overlay;
  const char* hostname;
  size_t hostname_len;
  const char* cwd;
  const char* name;  // args[0], reported when a PATH lookup finds nothing
  char* const* argv;
  char* const* envp;
  const char* const* candidates;
  size_t ncandidates;
  uid_t uid;
  gid_t gid;
  int stdout_w;
  int stderr_w;
  int report_w;
  int parent_pidfd;  // -1 if pidfd_open is unavailable
};

void CopyBounded(char* dst, size_t size, const char* src) noexcept {
  size_t i = 0;
  if (src != nullptr) {
    for (; i + 1 < size && src[i] != '\0'; ++i) dst[i] = src[i];
  }
  dst[i] = '\0';
}

[[noreturn]] void Report(int fd, const ChildError& e) noexcept {
  ChildReport r;
  std::memset(&r, 0, sizeof r);
  r.stage = e.stage;
  r.err = e.err;
  CopyBounded(r.syscall, sizeof r.syscall, e.syscall);
  CopyBounded(r.path, sizeof r.path, e.path);
  // sizeof r < PIPE_BUF: the write is atomic, the parent never sees half a report.
  while (write(fd, &r, sizeof r) < 0 && errno == EINTR) {
  }
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
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) return Fail(e, stage, "prctl", nullptr);
  if (ParentGone(a.parent_pidfd)) _exit(127);
  return 0;
}

// Keeps `*fd` off 0..2 so that installing stdio cannot clobber it.
int MoveAboveStdio(int* fd, ChildError* e) noexcept {
  if (*fd > 2) return 0;
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

int SwitchUser(const ChildArgs& a, ChildError* e) noexcept {
  // Raw syscalls: glibc's wrappers would try to broadcast the change to the
  // parent's threads, which exist only in glibc's (copied) bookkeeping here.
  if (syscall(SYS_setgroups, 0, nullptr) < 0) return Fail(e, kStageUser, "setgroups", nullptr);
  if (syscall(SYS_setgid, a.gid) < 0) return Fail(e, kStageUser, "setgid", nullptr);
  if (syscall(SYS_setuid, a.uid) < 0) return Fail(e, kStageUser, "setuid", nullptr);
  // Changing credentials clears the parent-death signal: set it again.
  return DieWithParent(a, e, kStageUser);
}

int DupTo(int fd, int target) noexcept {
  if (fd == target) return fcntl(fd, F_SETFD, 0);  // dup2 would leave FD_CLOEXEC set
  return dup2(fd, target) < 0 ? -1 : 0;
}

int SetupStdio(const ChildArgs& a, int out, int err, ChildError* e) noexcept {
  if (DupTo(out, 1) < 0) return Fail(e, kStageExec, "dup2", nullptr);
  if (DupTo(err, 2) < 0) return Fail(e, kStageExec, "dup2", nullptr);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0) return Fail(e, kStageExec, "open", "/dev/null");
  if (DupTo(null, 0) < 0) return Fail(e, kStageExec, "dup2", "/dev/null");
  if (null != 0) close(null);
  return 0;
}

// Closes every fd from 3 up except `keep` (the CLOEXEC report pipe).
void CloseOtherFds(int keep) noexcept {
  bool ok = true;
  if (keep > 3) ok = syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) == 0;
  if (ok) ok = syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0;
  if (ok) return;
  struct rlimit rl;
  int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? static_cast<int>(rl.rlim_cur) : 65536;
  for (int fd = 3; fd < max; ++fd) {
    if (fd != keep) close(fd);
  }
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
  e.stage = kStageExec;
  e.err = best;
  e.syscall = "execve";
  e.path = best_path;
  Report(report, e);
}

[[noreturn]] void ChildMain(const ChildArgs& a) noexcept {
  ChildError e;
  int report = a.report_w;
  int out = a.stdout_w;
  int err = a.stderr_w;

  ResetSignals();
  if (DieWithParent(a, &e, kStageClone) < 0) Report(report, e);
  if (MoveAboveStdio(&report, &e) < 0 || MoveAboveStdio(&out, &e) < 0 || MoveAboveStdio(&err, &e) < 0)
    Report(report, e);
  setsid();   // own session and process group: no terminal signals from the worker's
  umask(0);   // device nodes and dirs get exactly the modes asked for

  if (MakeMountsPrivate(&e) < 0) Report(report, e);
  if (MountOverlay(a.rootfs, a.overlay, &e) < 0) Report(report, e);  // also chdir(rootfs)
  if (MountProc(&e) < 0) Report(report, e);
  if (MountDev(&e) < 0) Report(report, e);
  if (MountSys(&e) < 0) Report(report, e);
  if (PivotRoot(&e) < 0) Report(report, e);
  if (BringUpLoopback(&e) < 0) Report(report, e);
  if (sethostname(a.hostname, a.hostname_len) < 0) {
    Fail(&e, kStageHostname, "sethostname", a.hostname);
    Report(report, e);
  }
  if (SwitchUser(a, &e) < 0) Report(report, e);
  if (chdir(a.cwd) < 0) {
    Fail(&e, kStageCwd, "chdir", a.cwd);
    Report(report, e);
  }
  if (SetupStdio(a, out, err, &e) < 0) Report(report, e);
  CloseOtherFds(report);
  umask(022);
  ExecCommand(a, report);
}

// ---------------------------------------------------------------------------
// Parent side: waiting for the outcome without blocking the JS thread.

struct SpawnOp {
  SpawnOp(Napi::Env e, Napi::Promise::Deferred d, pid_t p)
      : env(e), deferred(std::move(d)), context(e, "berth:spawn"), pid(p) {}

  uv_poll_t poll;
  Napi::Env env;
  Napi::Promise::Deferred deferred;
  Napi::AsyncContext context;  // lets promise reactions run when we settle from a uv callback
  pid_t pid;
  unique_fd report;
  unique_fd out;
  unique_fd err;
};

void ReapChild(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void Settle(SpawnOp* op, ssize_t n, int read_errno, ChildReport& r) {
  Napi::Env env = op->env;
  if (n == 0) {  // EOF without a report: execve succeeded
    Napi::Object result = Napi::Object::New(env);
    result.Set("pid", op->pid);
    result.Set("stdout", op->out.release());
    result.Set("stderr", op->err.release());
    op->deferred.Resolve(result);
    return;
  }
  // The child wrote its report and is calling _exit(127): reap it now.
  ReapChild(op->pid);
  op->out.reset();
  op->err.reset();
  if (n == static_cast<ssize_t>(sizeof r)) {
    r.syscall[sizeof r.syscall - 1] = '\0';
    r.path[sizeof r.path - 1] = '\0';
    op->deferred.Reject(MakeNativeError(env, StageName(r.stage), r.err, r.syscall, r.path));
  } else {
    op->deferred.Reject(MakeNativeError(env, "clone", n < 0 ? read_errno : EPROTO, "read", nullptr));
  }
}

void OnReport(uv_poll_t* handle, int /*status*/, int /*events*/) {
  auto* op = static_cast<SpawnOp*>(handle->data);
  ChildReport r;
  ssize_t n;
  do {
    n = read(op->report.get(), &r, sizeof r);
  } while (n < 0 && errno == EINTR);
  int read_errno = errno;
  if (n < 0 && (read_errno == EAGAIN || read_errno == EWOULDBLOCK)) return;  // spurious wakeup

  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { delete static_cast<SpawnOp*>(h->data); });
  op->report.reset();  // after uv_close: the fd is no longer registered with the loop

  Napi::HandleScope handle_scope(op->env);
  Napi::CallbackScope callback_scope(op->env, op->context);
  try {
    Settle(op, n, read_errno, r);
  } catch (const Napi::Error& e) {
    op->deferred.Reject(e.Value());
  }
}

int MakePipe(unique_fd* read_end, unique_fd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return -1;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return 0;
}

}  // namespace

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Plan plan = ReadPlan(env, info[0]);
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);

  unique_fd out_r, out_w, err_r, err_w, rep_r, rep_w;
  if (MakePipe(&out_r, &out_w) < 0 || MakePipe(&err_r, &err_w) < 0 || MakePipe(&rep_r, &rep_w) < 0) {
    deferred.Reject(MakeNativeError(env, "clone", errno, "pipe2"));
    return deferred.Promise();
  }
  if (fcntl(rep_r.get(), F_SETFL, O_NONBLOCK) < 0) {
    deferred.Reject(MakeNativeError(env, "clone", errno, "fcntl"));
    return deferred.Promise();
  }
  unique_fd self(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));  // CLOEXEC by default

  const ChildArgs args = {
      plan.rootfs.c_str(),   plan.overlay.c_str(),  plan.hostname.c_str(),
      plan.hostname.size(),  plan.cwd.c_str(),      plan.args[0].c_str(),
      plan.argv.data(),      plan.envp.data(),      plan.candidate_ptrs.data(),
      plan.candidate_ptrs.size(), plan.uid,         plan.gid,
      out_w.get(),           err_w.get(),           rep_w.get(),
      self.get(),
  };

  // No Node signal handler may run in the child before it resets them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid = syscall(SYS_clone, kCloneFlags, 0, 0, 0, 0);
  if (pid == 0) ChildMain(args);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  // Before anything else can clone: the child alone holds the write ends.
  out_w.reset();
  err_w.reset();
  rep_w.reset();
  self.reset();

  if (pid < 0) {
    deferred.Reject(MakeNativeError(env, "clone", clone_errno, "clone"));
    return deferred.Promise();
  }

  auto* op = new SpawnOp(env, deferred, static_cast<pid_t>(pid));
  op->report = std::move(rep_r);
  op->out = std::move(out_r);
  op->err = std::move(err_r);
  op->poll.data = op;

  uv_loop_t* loop = nullptr;
  int rc = napi_get_uv_event_loop(env, &loop) == napi_ok ? 0 : UV_EINVAL;
  if (rc == 0) rc = uv_poll_init(loop, &op->poll, op->report.get());
  if (rc == 0) {
    rc = uv_poll_start(&op->poll, UV_READABLE, OnReport);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&op->poll),
               [](uv_handle_t* h) { delete static_cast<SpawnOp*>(h->data); });
      op->report.reset();
      op = nullptr;
    }
  } else {
    delete op;
    op = nullptr;
  }
  if (rc != 0) {  // cannot watch the child: do not leave it running unobserved
    kill(static_cast<pid_t>(pid), SIGKILL);
    ReapChild(static_cast<pid_t>(pid));
    deferred.Reject(MakeNativeError(env, "clone", -rc, "uv_poll_start"));
  }
  return deferred.Promise();
}

}  // namespace berth
