// What the cloned child holds while it sets a container up: no inherited fd, and a
// working directory inside the container's root. Async-signal-safe (raw syscalls).
//
// Between clone and execve the child shares nothing with the caller but holds a copy
// of its whole fd table, O_CLOEXEC or not (close-on-exec acts only at execve). A
// directory fd of the caller (a `cp` walking a container's files) reachable as
// /proc/self/fd/N would let a cwd of "/proc/self/fd/N" land outside the container
// (CVE-2024-21626, runc's "Leaky Vessels"). So the child closes everything it was not
// handed first, and resolves the cwd under its root, refusing magic links.
#pragma once

#include "child.h"

namespace berth {

// Closes every fd >= 3 except those in keep[0..nkeep) and more[0..nmore) (entries < 0
// ignored): close_range over the gaps, a close() loop where close_range is missing.
void CloseFdsExcept(const int* keep, unsigned nkeep, const int* more, unsigned nmore) noexcept;

// chdir to `cwd` resolved under the current root ("/", the container's after pivot_root
// or setns): openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) + fchdir; it must be a
// directory there. Without openat2 (Linux < 5.6): chdir, then refuse a cwd that getcwd
// reports unreachable from the root. Fills *e (stage cwd) on failure.
int EnterCwd(const char* cwd, ChildError* e) noexcept;

}  // namespace berth
