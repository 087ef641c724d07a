// Shared between the parent (container.cc) and the code that runs in the cloned
// child (container.cc, mounts.cc, caps.cc, ...). Everything the child touches is
// plain data prepared by the parent before clone: the child must not allocate.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace berth {

// Order matters only for StageName(); new stages are appended.
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
  kStageCgroup,
  kStageMounts,
  kStageMaskedPaths,
  kStageReadonlyPaths,
  kStageCapabilities,
  kStageNoNewPrivs,
  kStageSeccomp,
  kStageTty,
  kStageUserns,
  kStageRlimits,
  kStageInit,
  kStageStart,
  kStageSetns,
  kStageShim,
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

inline int FailWith(ChildError* e, int err, Stage stage, const char* syscall, const char* path) noexcept {
  e->err = err;
  e->stage = stage;
  e->syscall = syscall;
  e->path = path;
  return -1;
}

// Messages on the report channel (a CLOEXEC SOCK_SEQPACKET socketpair), child to
// parent. EOF without an error message means execve succeeded.
enum ReportKind : int32_t {
  kReportError = 0,  // setup failed; the child _exit(127)s
  kReportPty = 1,    // carries the pty master (SCM_RIGHTS)
  kReportReady = 2,  // set up, waiting for `start` (berth-runtime create)
  kReportPid = 3,    // exec: `value` is the pid of the process that will execve
};

struct ChildReport {
  int32_t kind;
  int32_t stage;
  int32_t err;
  int32_t value;
  char syscall[32];
  char path[256];
};

}  // namespace berth
