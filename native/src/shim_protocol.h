// The wire format between the worker (shim_js.cc) and berth-shim (shim_main.cc): fixed-size
// messages on a SOCK_SEQPACKET unix socket, `shim.sock` in the container's directory, fds
// travelling as SCM_RIGHTS. The shim is the container's parent: it outlives the worker, keeps
// the container's output pipes (or pty master) open while no worker reads them, and tells
// every attached worker the exit status once it has reaped the container.
#pragma once

#include <errno.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

namespace berth {

constexpr const char* kShimSocket = "shim.sock";
constexpr const char* kShimExitFile = "shim.exit";  // {"exitCode":N|null,"signal":N|null}
constexpr int kShimMaxFds = 4;

enum ShimKind : int32_t {
  kShimHold = 'H',     // worker → shim: keep these fds (SCM_RIGHTS) for the next worker
  kShimAttach = 'A',   // worker → shim: send the held fds and the state; then the exit when it comes
  kShimRelease = 'R',  // worker → shim: the exit is recorded, the shim goes (before the exit: at the exit)
  kShimOk = 'k',       // shim → worker: reply to Hold
  kShimState = 'S',    // shim → worker: reply to Attach (+ the held fds)
  kShimExit = 'E',     // shim → worker: the container exited
  kShimRefused = 'n',  // shim → worker: Release before the exit (the shim goes once it comes)
};

struct ShimMessage {
  int32_t kind;
  int32_t pid;        // the container's init, as seen from the host
  int32_t exited;     // 1 once reaped
  int32_t exit_code;  // -1: none (killed by a signal)
  int32_t signal;     // -1: none
  int32_t nfds;       // fds carried by this message
};

// One message with up to kShimMaxFds fds as SCM_RIGHTS, retried on EINTR (both sides send
// this way). 0 once the whole message went, -1 + errno otherwise.
inline int SendShimMessage(int fd, const ShimMessage& m, const int* fds, int nfds) {
  struct iovec iov = {const_cast<ShimMessage*>(&m), sizeof m};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kShimMaxFds)];
  if (nfds > 0) {
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    std::memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof m) ? 0 : -1;
}

}  // namespace berth
