// Shared between the parent (spawn.cc) and the code that runs in the cloned
// child (spawn.cc, mounts.cc). Everything the child touches is plain data
// prepared by the parent before clone: the child must not allocate.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace berth {

enum Stage : int32_t {
  kStageClone,
  kStageMountPrivate,
  kStageOverlay,
  kStageProc,
  kStageDev,
  kStageSys,
  kStagePivotRoot,
  kStageNetwork,
  kStageHostname,
  kStageUser,
  kStageCwd,
  kStageExec,
  kStageCount,
};

// Stage name as exposed to JS ("mount-private", "exec", ...); "unknown" if out of range.
const char* StageName(int32_t stage) noexcept;

// Filled by fallible child-side helpers (crun style: helpers return < 0 and fill
// this). All pointers point at string literals or at memory prepared by the
// parent before clone.
struct ChildError {
  Stage stage = kStageClone;
  int err = 0;
  const char* syscall = "";
  const char* path = nullptr;
};

// Records errno of the failed syscall and returns -1.
inline int Fail(ChildError* e, Stage stage, const char* syscall, const char* path) noexcept {
  e->err = errno;
  e->stage = stage;
  e->syscall = syscall;
  e->path = path;
  return -1;
}

// What the child writes on the CLOEXEC report pipe before _exit(127).
// EOF without a report means execve succeeded.
struct ChildReport {
  int32_t stage;
  int32_t err;
  char syscall[32];
  char path[256];
};

}  // namespace berth
