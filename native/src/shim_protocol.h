// The wire format between the worker (shim_js.cc) and berth-shim (shim_main.cc): fixed-size
// messages on a SOCK_SEQPACKET unix socket, `shim.sock` in the container's directory, fds
// travelling as SCM_RIGHTS. The shim is the container's parent: it outlives the worker, keeps
// the container's output pipes (or pty master) open while no worker reads them, and tells
// every attached worker the exit status once it has reaped the container.
#pragma once

#include <cstdint>

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

}  // namespace berth
