// berth-shim: the parent of one container, started detached from the worker (own session, its
// parent gone), so a crash or restart of the worker neither kills the container (its
// PR_SET_PDEATHSIG points here) nor closes its output (the shim holds the read ends, so a
// container writing while no worker reads blocks once the pipe is full instead of getting
// SIGPIPE). A (re)started worker connects to `shim.sock`, receives the fds and the exit status.
// conmon plays this role for Podman; this is a much smaller take on the same idea.
//
// Started by the runtime (container.cc, LaunchThroughShim): cwd = the container's directory,
// fd 3 = the listening socket, argv[1] = the container's pid (our child).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shim_protocol.h"

namespace {

using berth::ShimMessage;

constexpr int kListen = 3;
constexpr int kMaxClients = 16;

struct Client {
  int fd = -1;
  bool attached = false;
};

struct Shim {
  pid_t pid = -1;
  bool exited = false;
  int status = 0;
  bool ever_held = false;
  bool released = false;  // a worker gave it up before its exit: nobody will come for it
  int held[berth::kShimMaxFds];
  int nheld = 0;
  Client clients[kMaxClients];
};

ShimMessage StateOf(const Shim& s, int32_t kind, int nfds) {
  ShimMessage m;
  std::memset(&m, 0, sizeof m);
  m.kind = kind;
  m.pid = s.pid;
  m.exited = s.exited ? 1 : 0;
  m.exit_code = s.exited && WIFEXITED(s.status) ? WEXITSTATUS(s.status) : -1;
  m.signal = s.exited && WIFSIGNALED(s.status) ? WTERMSIG(s.status) : -1;
  m.nfds = nfds;
  return m;
}

// A worker that went away meanwhile simply misses it: the exit file has the status too.
void Send(int fd, const ShimMessage& m, const int* fds, int nfds) { berth::SendShimMessage(fd, m, fds, nfds); }

// Write-then-rename: a worker never reads half a status.
void WriteExitFile(const Shim& s) {
  char text[96];
  const ShimMessage m = StateOf(s, berth::kShimExit, 0);
  char code[16], sig[16];
  if (m.exit_code >= 0) snprintf(code, sizeof code, "%d", m.exit_code);
  else snprintf(code, sizeof code, "null");
  if (m.signal >= 0) snprintf(sig, sizeof sig, "%d", m.signal);
  else snprintf(sig, sizeof sig, "null");
  int len = snprintf(text, sizeof text, "{\"exitCode\":%s,\"signal\":%s}\n", code, sig);
  int fd = open("shim.exit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  bool ok = write(fd, text, len) == len && fsync(fd) == 0;
  close(fd);
  if (ok) rename("shim.exit.tmp", berth::kShimExitFile);
}

[[noreturn]] void Leave(Shim& s) {
  unlink(berth::kShimSocket);
  for (int i = 0; i < s.nheld; ++i) close(s.held[i]);
  _exit(0);
}

void DropClient(Client& c) {
  close(c.fd);
  c.fd = -1;
  c.attached = false;
}

void OnExit(Shim& s) {
  WriteExitFile(s);
  // The worker never took the container over (it failed to start, or the worker died right
  // after spawning it): nobody will come for output, only the exit file matters.
  if (!s.ever_held || s.released) Leave(s);
  const ShimMessage m = StateOf(s, berth::kShimExit, 0);
  for (Client& c : s.clients) {
    if (c.fd >= 0 && c.attached) Send(c.fd, m, nullptr, 0);
  }
}

void OnMessage(Shim& s, Client& c) {
  ShimMessage m;
  std::memset(&m, 0, sizeof m);
  struct iovec iov = {&m, sizeof m};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * berth::kShimMaxFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(c.fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  int fds[berth::kShimMaxFds];
  int nfds = 0;
  if (n > 0) {
    for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      int count = static_cast<int>((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
        if (nfds < berth::kShimMaxFds) fds[nfds++] = fd;
        else close(fd);
      }
    }
  }
  if (n <= 0 || n != static_cast<ssize_t>(sizeof m)) {
    for (int i = 0; i < nfds; ++i) close(fds[i]);
    DropClient(c);
    return;
  }
  switch (m.kind) {
    case berth::kShimHold:
      for (int i = 0; i < s.nheld; ++i) close(s.held[i]);
      std::memcpy(s.held, fds, sizeof(int) * nfds);
      s.nheld = nfds;
      s.ever_held = true;
      Send(c.fd, StateOf(s, berth::kShimOk, 0), nullptr, 0);
      return;
    case berth::kShimAttach:
      for (int i = 0; i < nfds; ++i) close(fds[i]);
      c.attached = true;
      Send(c.fd, StateOf(s, berth::kShimState, s.nheld), s.held, s.nheld);
      return;
    case berth::kShimRelease:
      for (int i = 0; i < nfds; ++i) close(fds[i]);
      if (s.exited) Leave(s);
      s.released = true;  // goes at the exit
      Send(c.fd, StateOf(s, berth::kShimRefused, 0), nullptr, 0);
      return;
    default:
      for (int i = 0; i < nfds; ++i) close(fds[i]);
      DropClient(c);
  }
}

void Accept(Shim& s) {
  int fd = accept4(kListen, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  // Only the worker's user (root) may take a container's terminal or output.
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid()) {
    close(fd);
    return;
  }
  for (Client& c : s.clients) {
    if (c.fd < 0) {
      c.fd = fd;
      return;
    }
  }
  close(fd);  // full: the worker holds one connection per container
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  signal(SIGPIPE, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  Shim s;
  s.pid = static_cast<pid_t>(std::atoi(argv[1]));
  if (s.pid <= 0) return 2;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, s.pid, 0));
  if (pidfd < 0) return 1;
  for (;;) {
    struct pollfd p[2 + kMaxClients];
    int n = 0;
    p[n++] = {kListen, POLLIN, 0};
    p[n++] = {s.exited ? -1 : pidfd, POLLIN, 0};
    for (Client& c : s.clients) p[n++] = {c.fd, POLLIN, 0};
    if (poll(p, n, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (!s.exited && (p[1].revents & POLLIN)) {
      pid_t r;
      do {
        r = waitpid(s.pid, &s.status, WNOHANG);
      } while (r < 0 && errno == EINTR);
      if (r == s.pid) {
        s.exited = true;
        OnExit(s);
      }
    }
    for (int i = 0; i < kMaxClients; ++i) {
      if (s.clients[i].fd >= 0 && (p[2 + i].revents & (POLLIN | POLLHUP | POLLERR))) OnMessage(s, s.clients[i]);
    }
    if (p[0].revents & POLLIN) Accept(s);
  }
}
