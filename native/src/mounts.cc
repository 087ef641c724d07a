// Mount setup of the container's root, run by the cloned child (see mounts.h).
#include "mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace berth {
namespace {

// Paths are written as the container will see them ("/dev/null"); the syscalls
// take them relative to the new root (cwd), i.e. without the leading '/'.
inline const char* Rel(const char* abs) noexcept { return abs + 1; }

int MakeDir(Stage stage, const char* abs, mode_t mode, ChildError* e) noexcept {
  if (mkdir(Rel(abs), mode) < 0 && errno != EEXIST) return Fail(e, stage, "mkdir", abs);
  return 0;
}

int MountAt(Stage stage, const char* source, const char* abs, const char* fstype,
            unsigned long flags, const char* data, ChildError* e) noexcept {
  if (mount(source, Rel(abs), fstype, flags, data) < 0) return Fail(e, stage, "mount", abs);
  return 0;
}

struct DeviceNode {
  const char* path;
  unsigned major;
  unsigned minor;
};

constexpr DeviceNode kDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

struct Link {
  const char* target;
  const char* path;
};

constexpr Link kDevLinks[] = {
    {"pts/ptmx", "/dev/ptmx"},
    {"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
};

}  // namespace

int MakeMountsPrivate(ChildError* e) noexcept {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
    return Fail(e, kStageMountPrivate, "mount", "/");
  return 0;
}

int MountOverlay(const char* rootfs, const char* options, ChildError* e) noexcept {
  if (mount("overlay", rootfs, "overlay", 0, options) < 0)
    return Fail(e, kStageOverlay, "mount", rootfs);
  if (chdir(rootfs) < 0) return Fail(e, kStageOverlay, "chdir", rootfs);
  return 0;
}

int MountProc(ChildError* e) noexcept {
  if (MakeDir(kStageProc, "/proc", 0555, e) < 0) return -1;
  return MountAt(kStageProc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, e);
}

int MountDev(ChildError* e) noexcept {
  constexpr Stage s = kStageDev;
  if (MakeDir(s, "/dev", 0755, e) < 0) return -1;
  if (MountAt(s, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", e) < 0)
    return -1;
  for (const DeviceNode& d : kDevices) {
    if (mknod(Rel(d.path), S_IFCHR | 0666, makedev(d.major, d.minor)) < 0)
      return Fail(e, s, "mknod", d.path);
  }
  if (MakeDir(s, "/dev/pts", 0755, e) < 0) return -1;
  if (MountAt(s, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=0620,gid=5", e) < 0)
    return -1;
  if (MakeDir(s, "/dev/shm", 01777, e) < 0) return -1;
  if (MountAt(s, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "mode=1777,size=65536k", e) < 0)
    return -1;
  for (const Link& l : kDevLinks) {
    if (symlink(l.target, Rel(l.path)) < 0) return Fail(e, s, "symlink", l.path);
  }
  return 0;
}

int MountSys(ChildError* e) noexcept {
  if (MakeDir(kStageSys, "/sys", 0555, e) < 0) return -1;
  return MountAt(kStageSys, "sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                 nullptr, e);
}

int PivotRoot(ChildError* e) noexcept {
  // cwd is already the overlay root (MountOverlay). Stacking the old root on
  // top of the new one and detaching it avoids needing a put_old directory.
  if (syscall(SYS_pivot_root, ".", ".") < 0) return Fail(e, kStagePivotRoot, "pivot_root", "/");
  if (umount2(".", MNT_DETACH) < 0) return Fail(e, kStagePivotRoot, "umount2", "/");
  if (chdir("/") < 0) return Fail(e, kStagePivotRoot, "chdir", "/");
  return 0;
}

}  // namespace berth
