// A static test helper run INSIDE containers by lib/isolation.test.ts: each
// argument names one thing to try; it prints "<name> ok" or "<name> <ERRNO>".
//   probe mount unshare keyctl ...    probe ptrace:<pid>    probe euid
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static long try(const char* what) {
  if (!strcmp(what, "mount")) return mount("none", "/tmp", "tmpfs", 0, NULL);
  if (!strcmp(what, "umount2")) return umount2("/proc", MNT_DETACH);
  if (!strcmp(what, "unshare")) return unshare(CLONE_NEWNS);
  if (!strcmp(what, "unshare-user")) return unshare(CLONE_NEWUSER);
  if (!strcmp(what, "setns")) {
    int fd = open("/proc/self/ns/net", O_RDONLY);
    return fd < 0 ? -1 : setns(fd, 0);
  }
  if (!strcmp(what, "clone-newns")) {
    long pid = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    return pid < 0 ? -1 : 0;
  }
  if (!strcmp(what, "clone3")) return syscall(SYS_clone3, NULL, 0);
  if (!strcmp(what, "keyctl")) return syscall(SYS_keyctl, 0 /*GET_KEYRING_ID*/, -3, 0);
  if (!strcmp(what, "add_key")) return syscall(SYS_add_key, "user", "x", "y", 1, -3);
  if (!strcmp(what, "request_key")) return syscall(SYS_request_key, "user", "x", NULL, 0);
  if (!strcmp(what, "bpf")) return syscall(SYS_bpf, 0, NULL, 0);
  if (!strcmp(what, "perf_event_open")) return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
  if (!strcmp(what, "kexec_load")) return syscall(SYS_kexec_load, 0, 0, NULL, 0);
  if (!strcmp(what, "init_module")) return syscall(SYS_init_module, "\x7f" "ELF", 4, "");
  if (!strcmp(what, "finit_module")) {
    int fd = open("/bin/busybox", O_RDONLY);
    return fd < 0 ? -1 : syscall(SYS_finit_module, fd, "", 0);
  }
  if (!strcmp(what, "delete_module")) return syscall(SYS_delete_module, "loop", O_NONBLOCK);
  if (!strcmp(what, "open_by_handle_at")) return syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0);
  if (!strcmp(what, "reboot")) return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF, NULL);
  if (!strcmp(what, "swapon")) return swapon("/nonexistent", 0);
  if (!strcmp(what, "swapoff")) return swapoff("/nonexistent");
  if (!strcmp(what, "clock_settime")) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return clock_settime(CLOCK_REALTIME, &ts);
  }
  if (!strcmp(what, "settimeofday")) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return settimeofday(&tv, NULL);
  }
  if (!strcmp(what, "pivot_root")) return syscall(SYS_pivot_root, ".", ".");
  if (!strcmp(what, "acct")) return acct(NULL);
  if (!strcmp(what, "lookup_dcookie")) return syscall(SYS_lookup_dcookie, 0, NULL, 0);
  if (!strcmp(what, "quotactl")) return syscall(SYS_quotactl, 0, NULL, 0, NULL);
  if (!strcmp(what, "syslog")) return klogctl(10 /*SIZE_BUFFER*/, NULL, 0);
  if (!strcmp(what, "userfaultfd")) return syscall(SYS_userfaultfd, 0);
  if (!strcmp(what, "personality-unsafe")) return personality(READ_IMPLIES_EXEC) < 0 ? -1 : 0;
  if (!strcmp(what, "personality-linux")) return personality(PER_LINUX) < 0 ? -1 : 0;
  if (!strcmp(what, "vsock")) return socket(AF_VSOCK, SOCK_STREAM, 0);
  if (!strcmp(what, "iopl")) return syscall(SYS_iopl, 3);
  if (!strcmp(what, "chroot")) return chroot("/");
  if (!strcmp(what, "io_uring_setup")) {
    char params[120] = {0}; /* struct io_uring_params */
    return syscall(SYS_io_uring_setup, 4, params);
  }
  if (!strcmp(what, "io_uring_enter")) return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
  if (!strcmp(what, "io_uring_register")) return syscall(SYS_io_uring_register, -1, 0, NULL, 0);
  if (!strncmp(what, "ptrace:", 7)) return ptrace(PTRACE_ATTACH, atoi(what + 7), NULL, NULL);
  if (!strcmp(what, "ptrace-traceme")) return ptrace(PTRACE_TRACEME, 0, NULL, NULL);
  errno = EINVAL;
  return -2;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "euid")) {
      printf("euid %d\n", (int)geteuid());
      continue;
    }
    errno = 0;
    long rc = try(argv[i]);
    if (rc == -2) {
      printf("%s unknown-probe\n", argv[i]);
      continue;
    }
    printf("%s %s\n", argv[i], rc < 0 ? strerrorname_np(errno) : "ok");
  }
  return 0;
}
