// Linux capabilities: names, Docker's default set, and the child-side calls
// that install them (async-signal-safe: raw syscalls only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "child.h"
#include "config.h"

namespace berth {

// CAP_CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP,
// NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP = 0xa80425fb.
constexpr uint64_t kDockerDefaultCaps = 0xa80425fbULL;

// "CAP_SYS_ADMIN" or "SYS_ADMIN" (any case) -> 21; "ALL" -> -2; unknown -> -1.
int CapFromName(const std::string& name);
const char* CapName(int cap);  // "CAP_SYS_ADMIN"; nullptr if unknown

// Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap).
int LastCap();

// Docker's rules: bounding = default + add - drop ("ALL" allowed in both);
// root gets effective = permitted = bounding, any other uid gets none
// (ambient and inheritable stay empty). Returns -1 + *e for an unknown name.
int ComputeCaps(const std::vector<std::string>& add, const std::vector<std::string>& drop, uid_t uid,
                CapSets* out, Error* e);

// Child side. DropBounding before changing uid (needs CAP_SETPCAP);
// SetCaps after it (with PR_SET_KEEPCAPS set before the uid change).
int DropBounding(uint64_t keep, int last_cap, ChildError* e) noexcept;
int SetCaps(const CapSets& caps, int last_cap, ChildError* e) noexcept;

}  // namespace berth
