// cgroups v1 and v2 behind one small interface. The layout is detected once
// from /proc/self/mountinfo: a cgroup2 mount at /sys/fs/cgroup means v2 only;
// otherwise the v1 controller hierarchies are used (a hybrid host's cgroup2
// mount holds no useful controller). BERTH_CGROUP_MODE=v2 forces the cgroup2
// mount even on a hybrid host (tests of the v2 code path).
//
// Paths are relative to each hierarchy's root ("berth-<instance>/<id>").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "unique_fd.h"

namespace berth {

struct CgroupLayout {
  int version = 0;       // 1 or 2; 0 = no usable cgroup mount
  std::string v2_root;   // cgroup2 mount point (v2)
  struct Hierarchy {
    std::string mount;
    std::vector<std::string> controllers;
  };
  std::vector<Hierarchy> v1;  // controller hierarchies (v1)
  const Hierarchy* Find(const char* controller) const;
};

const CgroupLayout& DetectCgroups();

// Created cgroup, ready to join: the child writes "0" to each procs fd.
struct CgroupHandle {
  std::vector<unique_fd> procs;          // cgroup.procs of every hierarchy, O_WRONLY|O_CLOEXEC
  std::vector<std::string> created;      // leaf dirs this call created (removed again on a failed start)
};

// mkdir -p in every hierarchy, enable v2 controllers on the way, write the limits.
int CreateCgroup(const CgroupSpec& spec, CgroupHandle* out, Error* e);

// Opens the cgroup.procs files of the cgroups `pid` is in (exec joins them).
int OpenCgroupsOf(pid_t pid, std::vector<unique_fd>* out, Error* e);

struct CgroupStats {
  int64_t memory = -1;        // bytes in use; -1 if the memory controller is absent
  int64_t memory_limit = -1;  // -1 unlimited / absent
  int64_t cpu_ns = -1;
  int64_t pids = -1;
  int64_t oom_kills = -1;     // processes the kernel OOM-killed in this cgroup
  int64_t io_read = -1;       // bytes read from block devices (v2 io.stat rbytes; v1 blkio Read)
  int64_t io_write = -1;      // bytes written to block devices
};

int ReadCgroupStats(const std::string& path, CgroupStats* out, Error* e);

// Freezes (`frozen`) or thaws every process of the cgroup and waits until the kernel says it
// is done: v2 cgroup.freeze + cgroup.events "frozen"; v1 freezer.state FROZEN/THAWED.
int FreezeCgroup(const std::string& path, bool frozen, Error* e);

// Kills whatever is left in the cgroup (v2 cgroup.kill; v1 freeze, SIGKILL, thaw),
// waits for it to empty and removes it (children first). ENOENT counts as removed.
int RemoveCgroup(const std::string& path, Error* e);

// Undoes CreateCgroup after a failed start (the cgroup is empty).
void RemoveCreated(const std::vector<std::string>& dirs);

}  // namespace berth
