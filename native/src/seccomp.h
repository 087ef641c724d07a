// Docker's default seccomp policy (moby profiles/seccomp/default.json), built
// with libseccomp in the parent and loaded by the child as its last step
// before execve. Denied syscalls fail with EPERM (clone3 with ENOSYS, so libc
// falls back to clone, whose namespace flags the filter can inspect).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "child.h"
#include "config.h"

namespace berth {

struct SeccompProgram {
  std::vector<struct sock_filter> insns;
};

// The compiled filter for a container whose effective (root) or bounding
// capability set is `caps`: the policy allows more syscalls with more
// capabilities (mount with CAP_SYS_ADMIN, ...). Cached per capability set.
std::shared_ptr<const SeccompProgram> DefaultSeccompFilter(uint64_t caps, Error* e);

// Child side: seccomp(SECCOMP_SET_MODE_FILTER). Needs no_new_privs or CAP_SYS_ADMIN.
int LoadSeccomp(const struct sock_fprog* prog, ChildError* e) noexcept;

}  // namespace berth
