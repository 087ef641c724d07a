// berth-init: the minimal init a container gets with RunSpec.init (docker --init).
// A static binary, exec'd as pid 1 from an fd opened on the host (so it needs
// nothing from the image): forks the command, forwards signals to it, reaps
// every zombie, and exits like the command (128+n when a signal killed it).
//
//   berth-init -- <command> [args...]       (env: the container's)
// fd 3 is the spawn report channel: a failed execve of the command is reported
// on it exactly as the runtime reports its own failures (child.h).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

namespace {

constexpr int kReportFd = 3;

void Report(int err, const char* syscall, const char* path) {
  berth::ChildReport r;
  memset(&r, 0, sizeof r);
  r.kind = berth::kReportError;
  r.stage = berth::kStageExec;
  r.err = err;
  strncpy(r.syscall, syscall, sizeof r.syscall - 1);
  if (path != nullptr) strncpy(r.path, path, sizeof r.path - 1);
  while (send(kReportFd, &r, sizeof r, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// execvp with the runtime's precedence: EACCES beats ENOENT, anything else stops the search.
[[noreturn]] void Exec(char** argv) {
  const char* name = argv[0];
  if (strchr(name, '/') != nullptr) {
    execve(name, argv, environ);
    Report(errno, "execve", name);
    _exit(127);
  }
  const char* path = getenv("PATH");
  if (path == nullptr) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int best = ENOENT;
  char best_path[4096];
  strncpy(best_path, name, sizeof best_path - 1);
  best_path[sizeof best_path - 1] = '\0';
  char candidate[4096];
  for (const char* p = path;; ++p) {
    const char* end = strchrnul(p, ':');
    size_t dir = static_cast<size_t>(end - p);
    if (dir == 0) {
      candidate[0] = '.';
      dir = 1;
    } else if (dir < sizeof candidate) {
      memcpy(candidate, p, dir);
    }
    if (dir + 1 + strlen(name) < sizeof candidate) {
      size_t n = dir;
      if (candidate[n - 1] != '/') candidate[n++] = '/';
      strcpy(candidate + n, name);
      execve(candidate, argv, environ);
      int err = errno;
      if (err == EACCES) {
        if (best != EACCES) {
          best = EACCES;
          strcpy(best_path, candidate);
        }
      } else if (err != ENOENT && err != ENOTDIR) {
        best = err;
        strcpy(best_path, candidate);
        break;
      }
    }
    if (*end == '\0') break;
    p = end;
  }
  Report(best, "execve", best_path);
  _exit(127);
}

[[noreturn]] void ExitLike(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  _exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    Report(EINVAL, "execve", "berth-init: no command");
    return 127;
  }
  fcntl(kReportFd, F_SETFD, FD_CLOEXEC);  // the command must not inherit it
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  pid_t child = fork();
  if (child < 0) {
    Report(errno, "fork", nullptr);
    return 127;
  }
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    Exec(argv + first);
  }
  close(kReportFd);  // the command holds the channel until its execve
  // Stay off the command's stdio so that pipes reach EOF when the command's side closes.
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    for (int fd = 0; fd < 3; ++fd) dup2(null, fd);
    if (null > 2) close(null);
  }
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig == SIGCHLD) {
      for (;;) {
        int status = 0;
        pid_t r = waitpid(-1, &status, WNOHANG);
        if (r <= 0) break;
        if (r == child) ExitLike(status);
      }
    } else {
      kill(child, sig);
    }
  }
}
