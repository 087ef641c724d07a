// Mount setup of the container's root, run by the cloned child inside its own
// mount namespace. Async-signal-safe: raw syscalls only, no allocation.
// Return 0 or -1 + *e.
//
// Before pivot_root every target is resolved under the new root with
// openat2(RESOLVE_IN_ROOT) and mounted through /proc/self/fd/N, so a symlink
// in an image (/dev -> /etc, /data -> ../../..) can never send a mount to the host.
#pragma once

#include "child.h"

namespace berth {

struct ChildMount {
  const char* source;
  const char* target;      // absolute, as the container sees it
  const char* fstype;      // nullptr for binds
  const char* data;
  unsigned long flags;     // for mount(2); binds: MS_BIND [| MS_REC]
  unsigned long remount;   // binds: flags of a MS_BIND|MS_REMOUNT that follows (0: none)
  unsigned long propagation;
  bool file;               // bind of a non-directory: the target is created as a file
  bool is_dev;             // the tmpfs at /dev: populate it afterwards
  Stage stage;
};

// The container's overlay, prepared by the parent (see PrepareOverlay in container.cc).
struct ChildOverlay {
  const char* const* lowerdirs;  // absolute, topmost first
  unsigned nlower;
  const char* upperdir;
  const char* workdir;
  bool userxattr;
  // Fallback for kernels without "lowerdir+" (< 6.8): mount(2) data fitting in one page,
  // with lowerdirs relative to `chdir_to` when that is set. nullptr: no form fits.
  const char* legacy_options;
  const char* chdir_to;
  bool force_legacy;  // BERTH_OVERLAY_MOUNT=legacy (tests of the fallback)
};

// mount(NULL, "/", NULL, MS_REC|MS_PRIVATE): nothing propagates back to the host.
int MakeMountsPrivate(ChildError* e) noexcept;

// Mounts `overlay` on `rootfs` (or, with overlay == nullptr, bind-mounts `rootfs`
// onto itself), chdirs into it and returns an O_PATH fd of it. The overlay is
// built with the new mount API, one fsconfig("lowerdir+") per layer, so any number
// of layers up to the kernel's 500 works; on older kernels, mount(2) with one
// option string.
int MountRoot(const char* rootfs, const ChildOverlay* overlay, ChildError* e) noexcept;

// Mounts `overlay` on `target` from the calling process (no chdir, no rootfd): the new
// mount API first, then mount(2) with `legacy_options` (absolute paths) on older kernels.
// For host-side overlays such as copy-on-write volumes.
int MountOverlayOn(const char* target, const ChildOverlay* overlay, ChildError* e) noexcept;

// The mounts, in order, under the root `rootfd`.
int MountAll(int rootfd, const ChildMount* mounts, unsigned n, ChildError* e) noexcept;

// /dev/{null,zero,full,random,urandom,tty} bind-mounted from the host's nodes (the
// tmpfs itself is nodev: mknod'ed devices are unusable), plus ptmx, fd, std* links.
int PopulateDev(int rootfd, ChildError* e) noexcept;

// pivot_root(".", ".") + lazy unmount of the old root + chdir("/"). cwd must be the new root.
int PivotRoot(ChildError* e) noexcept;

// After pivot_root. Missing paths are skipped.
int MaskPaths(const char* const* paths, unsigned n, ChildError* e) noexcept;
int ReadonlyPaths(const char* const* paths, unsigned n, ChildError* e) noexcept;
int RemountRootReadonly(ChildError* e) noexcept;

// "/proc/self/fd/<fd>" into buf (>= 32 bytes).
void FdPath(char* buf, int fd) noexcept;

}  // namespace berth
