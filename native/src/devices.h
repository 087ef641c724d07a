// The device cgroup: which device nodes a container may create (mknod) and open.
// Docker's default list, so that a nodev mount is not the only guard: a container
// granted CAP_SYS_ADMIN can mount a fresh tmpfs without nodev and mknod there.
//   v1: "a" to devices.deny, then one devices.allow line per rule.
//   v2: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup (BPF_F_ALLOW_MULTI,
//       as runc and systemd do: every program on the way up must allow an access).
#pragma once

#include <string>

#include "config.h"

namespace berth {

// Restricts the v1 devices cgroup at `dir` (a devices hierarchy directory).
int RestrictDevicesV1(const std::string& dir, Error* e);

// Loads the filter program and attaches it to the cgroup2 directory `dir`.
int RestrictDevicesV2(const std::string& dir, Error* e);

}  // namespace berth
