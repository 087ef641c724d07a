// Mount helpers run by the cloned child, inside its own mount namespace.
// Async-signal-safe: raw syscalls only, no allocation. Return 0 or -1 + *e.
#pragma once

#include "child.h"

namespace berth {

// mount(NULL, "/", NULL, MS_REC|MS_PRIVATE): nothing propagates back to the host.
int MakeMountsPrivate(ChildError* e) noexcept;

// Mounts overlay `options` ("lowerdir=..,upperdir=..,workdir=..") on `rootfs`
// and makes it the working directory (the helpers below take paths relative to it).
int MountOverlay(const char* rootfs, const char* options, ChildError* e) noexcept;

// The following expect cwd == the new root.
int MountProc(ChildError* e) noexcept;  // fresh proc at proc/
int MountDev(ChildError* e) noexcept;   // tmpfs at dev/ with nodes, pts, shm, symlinks
int MountSys(ChildError* e) noexcept;   // read-only sysfs at sys/

// pivot_root(".", ".") + lazy unmount of the old root + chdir("/").
int PivotRoot(ChildError* e) noexcept;

}  // namespace berth
