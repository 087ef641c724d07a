// What a container is, as plain C++ data: filled from a JS RunSpec (spawn.cc)
// or from an OCI bundle's config.json (runtime/oci.cc), then turned into the
// allocation-free plan the cloned child follows (container.cc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "veth.h"

namespace berth {

// A failure on the parent side, shaped like the JS NativeError.
struct Error {
  std::string stage;
  int err = 0;  // errno; 0 with a message for a non-syscall failure
  std::string syscall;
  std::string path;
  std::string message;  // set when err == 0 (e.g. "controller memory not available")
};

int SetError(Error* e, const char* stage, int err, const char* syscall, const std::string& path = "");
int SetMessage(Error* e, const char* stage, const std::string& message);

// The kernel's own maximum of overlayfs lower layers (OVL_MAX_STACK).
constexpr size_t kMaxOverlayLayers = 500;

struct MountSpec {
  std::string source;
  std::string destination;  // absolute, inside the container
  std::string type;         // "bind" for bind mounts
  std::string data;         // fs-specific options
  unsigned long flags = 0;  // MS_* for the mount itself
  unsigned long propagation = 0;  // MS_PRIVATE, MS_SLAVE, ... applied after mounting; 0 = none
  bool bind = false;
  bool recursive = false;  // MS_REC with bind
};

struct IdMap {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct CapSets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
};

struct CgroupSpec {
  std::string path;             // relative to each hierarchy's root, e.g. "berth-x/c1"
  int64_t memory = -1;          // bytes; -1 = unlimited / unchanged
  int64_t memory_swap = -1;     // memory + swap, Docker semantics; -1 unlimited
  int64_t cpu_quota = -1;       // microseconds per period; -1 = none
  uint64_t cpu_period = 100000;
  uint64_t cpu_shares = 0;      // 0 = unchanged
  int64_t pids_limit = -1;      // <= 0 = unlimited
  std::string cpuset_cpus;
  std::string cpuset_mems;
  bool restrict_devices = false;  // Docker's default device list (devices.h)
};

struct Rlimit {
  int resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

enum class Stdio { kPipes, kInherit, kTty };

struct ContainerConfig {
  // Root: an overlay mounted at `rootfs` (lowerdirs set), or an existing
  // directory bind-mounted onto itself (OCI bundles, lowerdirs empty).
  std::string rootfs;
  std::vector<std::string> lowerdirs;  // topmost first, at most kMaxOverlayLayers
  std::string upperdir, workdir;
  bool overlay_userxattr = false;      // mounted inside a user namespace
  bool readonly_rootfs = false;

  std::vector<MountSpec> mounts;  // in order, after the root
  bool populate_dev = true;       // /dev nodes, symlinks, pts/ptmx when /dev is a tmpfs we mounted
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string hostname;           // empty: leave as is
  int namespaces = 0;             // CLONE_NEW* flags
  std::vector<IdMap> uid_map;     // with CLONE_NEWUSER
  std::vector<IdMap> gid_map;

  // Process.
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  CapSets caps;
  bool no_new_privileges = true;
  bool seccomp = true;            // Docker's default policy, for `caps.effective`
  bool init = false;              // berth-init as pid 1: forks the command, reaps, forwards signals
  std::string init_binary;        // path of the static berth-init (opened on the host before clone)
  Stdio stdio = Stdio::kPipes;
  bool open_stdin = false;        // kPipes: stdin is a pipe (else /dev/null)
  uint16_t tty_cols = 0, tty_rows = 0;
  std::vector<Rlimit> rlimits;
  bool has_cgroup = false;
  CgroupSpec cgroup;
  bool die_with_parent = true;
  std::string start_fifo;         // non-empty: report kReportReady, wait for a reader, then exec
  // Non-empty: the container's parent is a detached berth-shim (shim_main.cc) serving
  // `shim_dir`/shim.sock, not the caller, so the container outlives the caller.
  std::string shim_dir;
  std::string shim_binary;
  bool has_veth = false;          // bridge network: the parent adds a veth to our netns before exec
  VethSpec veth;
  std::vector<VethSpec> extra_veths;  // more networks (eth1, …), added with `veth` before exec
};

// Joining a running container (execInContainer).
struct ExecConfig {
  pid_t pid = 0;  // the container's init, as seen from the host
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  CapSets caps;
  bool no_new_privileges = true;
  bool seccomp = true;
  Stdio stdio = Stdio::kPipes;
  bool open_stdin = false;
  uint16_t tty_cols = 0, tty_rows = 0;
};

}  // namespace berth
