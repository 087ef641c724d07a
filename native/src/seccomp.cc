#include "seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>
#include <mutex>

#include "caps.h"

namespace berth {
namespace {

// Always allowed.
constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir",
    "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
    "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
    "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
    "ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd",
    "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
    "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
    "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
    "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
    "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
    "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
    "ioprio_set", "io_setup", "io_submit",
    "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
    "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
    "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
    "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
    "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
    "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open",
    "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
    "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
    "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64",
    "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv",
    "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
    "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
    "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
    "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
    "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
    "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32",
    "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
    "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
    "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
    "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
    "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
    "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
    "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
    "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
    // minKernel 4.8: ptrace can no longer bypass seccomp.
    "process_vm_readv", "process_vm_writev", "ptrace",
    // io_uring_setup/enter/register are left out (EPERM), as in Docker 25+: io_uring has
    // been a steady source of kernel exploits and bypasses seccomp for the calls it queues.
#if defined(__x86_64__)
    "arch_prctl", "modify_ldt",
#elif defined(__aarch64__)
    "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush",
    "set_tls",
#endif
};

struct CapRule {
  int cap;
  std::vector<const char*> names;
};

// Allowed only when the container holds the capability.
const std::vector<CapRule>& CapRules() {
  static const std::vector<CapRule> rules = {
      {2 /*DAC_READ_SEARCH*/, {"open_by_handle_at"}},
      {21 /*SYS_ADMIN*/,
       {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
        "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
        "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
        "umount2", "unshare"}},
      {22 /*SYS_BOOT*/, {"reboot"}},
      {18 /*SYS_CHROOT*/, {"chroot"}},
      {16 /*SYS_MODULE*/, {"delete_module", "init_module", "finit_module"}},
      {20 /*SYS_PACCT*/, {"acct"}},
      {19 /*SYS_PTRACE*/, {"kcmp", "pidfd_getfd", "process_madvise"}},
      {17 /*SYS_RAWIO*/, {"iopl", "ioperm"}},
      {25 /*SYS_TIME*/, {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
      {26 /*SYS_TTY_CONFIG*/, {"vhangup"}},
      {23 /*SYS_NICE*/, {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
      {34 /*SYSLOG*/, {"syslog"}},
      {39 /*BPF*/, {"bpf"}},
      {38 /*PERFMON*/, {"perf_event_open"}},
  };
  return rules;
}

constexpr uint64_t kSysAdmin = 1ULL << 21;
// CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: refused without CAP_SYS_ADMIN.
constexpr scmp_datum_t kNamespaceFlags = 0x7E020000;

struct Ctx {
  scmp_filter_ctx ctx = nullptr;
  ~Ctx() {
    if (ctx != nullptr) seccomp_release(ctx);
  }
};

int Allow(scmp_filter_ctx ctx, const char* name, unsigned count = 0, const struct scmp_arg_cmp* args = nullptr) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return 0;  // unknown to libseccomp: nothing to allow
  int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, count, args);
  // -EDOM/-EINVAL: not a syscall on this architecture (chown32 on x86_64); that is fine.
  return rc == -EDOM || rc == -EINVAL || rc == -EEXIST ? 0 : rc;
}

std::shared_ptr<const SeccompProgram> Build(uint64_t caps, Error* e) {
  Ctx c;
  c.ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (c.ctx == nullptr) {
    SetMessage(e, "seccomp", "seccomp_init failed");
    return nullptr;
  }
  int rc = seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_NNP, 0);  // the child sets no_new_privs itself
  if (rc == 0) rc = seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);  // binary tree: fewer insns per syscall
#if defined(__x86_64__)
  // i386 binaries keep working, as under Docker. x32 (rarely enabled in kernels) is left
  // out: it would add ~400 instructions to every container's filter; x32 calls are killed.
  if (rc == 0) rc = seccomp_arch_add(c.ctx, SCMP_ARCH_X86);
#endif
  for (const char* name : kAllowed) {
    if (rc == 0) rc = Allow(c.ctx, name);
  }
  // socket(2) except AF_VSOCK.
  const struct scmp_arg_cmp not_vsock[] = {SCMP_A0(SCMP_CMP_NE, 40)};
  if (rc == 0) rc = Allow(c.ctx, "socket", 1, not_vsock);
  // personality(2): only the harmless personas.
  for (scmp_datum_t p : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    const struct scmp_arg_cmp eq[] = {SCMP_A0(SCMP_CMP_EQ, p)};
    if (rc == 0) rc = Allow(c.ctx, "personality", 1, eq);
  }
  for (const CapRule& r : CapRules()) {
    if (!(caps & (1ULL << r.cap))) continue;
    for (const char* name : r.names) {
      if (rc == 0) rc = Allow(c.ctx, name);
    }
  }
  if (!(caps & kSysAdmin)) {
    const struct scmp_arg_cmp no_ns[] = {SCMP_A0(SCMP_CMP_MASKED_EQ, kNamespaceFlags, 0)};
    if (rc == 0) rc = Allow(c.ctx, "clone", 1, no_ns);
    int nr = seccomp_syscall_resolve_name("clone3");
    if (rc == 0 && nr != __NR_SCMP_ERROR) rc = seccomp_rule_add(c.ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
  }
  if (rc != 0) {
    SetError(e, "seccomp", -rc, "seccomp_rule_add");
    return nullptr;
  }

  int fd = static_cast<int>(syscall(SYS_memfd_create, "berth-seccomp", MFD_CLOEXEC));
  if (fd < 0) {
    SetError(e, "seccomp", errno, "memfd_create");
    return nullptr;
  }
  rc = seccomp_export_bpf(c.ctx, fd);
  auto prog = std::make_shared<SeccompProgram>();
  if (rc == 0) {
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) != 0) {
      rc = -EPROTO;
    } else {
      prog->insns.resize(size / sizeof(struct sock_filter));
      if (pread(fd, prog->insns.data(), size, 0) != size) rc = -EIO;
    }
  }
  close(fd);
  if (rc != 0) {
    SetError(e, "seccomp", -rc, "seccomp_export_bpf");
    return nullptr;
  }
  return prog;
}

}  // namespace

std::shared_ptr<const SeccompProgram> DefaultSeccompFilter(uint64_t caps, Error* e) {
  static std::mutex mu;
  static std::map<uint64_t, std::shared_ptr<const SeccompProgram>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(caps);
  if (it != cache.end()) return it->second;
  auto prog = Build(caps, e);
  if (prog) cache.emplace(caps, prog);
  return prog;
}

int LoadSeccomp(const struct sock_fprog* prog, ChildError* e) noexcept {
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
    return Fail(e, kStageSeccomp, "seccomp", nullptr);
  return 0;
}

}  // namespace berth
