// Mount setup of the container's root, run by the cloned child (see mounts.h).
#include "mounts.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>  // glibc >= 2.36: FSCONFIG_*, MOUNT_ATTR_*, MOVE_MOUNT_*
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace berth {
namespace {

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int OpenAt2(int dirfd, const char* path, int flags) noexcept {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

// Opens `abs` ("/dev/pts") under rootfd as O_PATH, creating missing directories
// (and the last component as an empty file when `file`). A dangling symlink on
// the way is followed by hand, inside the root (as runc's securejoin does).
int OpenInRoot(int rootfd, const char* abs, bool file, Stage stage, ChildError* e) noexcept {
  while (*abs == '/') ++abs;
  if (*abs == '\0') {
    int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    return fd < 0 ? Fail(e, stage, "fcntl", "/") : fd;
  }
  int fd = OpenAt2(rootfd, abs, O_PATH);
  if (fd >= 0 || errno != ENOENT) return fd >= 0 ? fd : Fail(e, stage, "openat2", abs);

  char path[PATH_MAX];
  size_t len = 0;
  while (abs[len] != '\0') {
    if (len + 1 >= sizeof path) return FailWith(e, ENAMETOOLONG, stage, "openat2", abs);
    path[len] = abs[len];
    ++len;
  }
  path[len] = '\0';
  for (int restarts = 0; restarts < 40; ++restarts) {
    int parent = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (parent < 0) return Fail(e, stage, "fcntl", abs);
    bool restarted = false;
    size_t start = 0;
    while (start < len) {
      size_t end = start;
      while (end < len && path[end] != '/') ++end;
      const bool last = end == len;
      path[end] = '\0';
      if (end > start) {
        int next = OpenAt2(rootfd, path, O_PATH);
        if (next < 0 && errno == ENOENT) {
          // Create the component in its (already safely resolved) parent.
          const char* name = path + start;
          int rc;
          if (last && file) {
            rc = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (rc >= 0) close(rc);
          } else {
            rc = mkdirat(parent, name, 0755);
          }
          if (rc < 0 && errno == EEXIST) {
            char link[PATH_MAX];
            ssize_t n = readlinkat(parent, name, link, sizeof link - 1);
            if (n > 0) {
              // Splice the link target in place of the component and walk again from the root.
              link[n] = '\0';
              char next_path[PATH_MAX];
              size_t k = 0;
              auto put = [&](const char* s) {
                for (; *s != '\0' && k + 1 < sizeof next_path; ++s) next_path[k++] = *s;
              };
              if (link[0] != '/') {
                path[start] = '\0';
                put(path);  // the directory holding the link, with its trailing '/'
              }
              put(link);
              if (!last) {
                put("/");
                put(path + end + 1);
              }
              next_path[k] = '\0';
              for (len = 0; len <= k; ++len) path[len] = next_path[len];
              len = k;
              close(parent);
              restarted = true;
              break;
            }
            errno = EEXIST;
          }
          if (rc < 0 && errno != EEXIST) {
            close(parent);
            return Fail(e, stage, last && file ? "open" : "mkdir", abs);
          }
          next = OpenAt2(rootfd, path, O_PATH);
        }
        if (next < 0) {
          close(parent);
          return Fail(e, stage, "openat2", abs);
        }
        close(parent);
        parent = next;
      }
      if (!last) path[end] = '/';
      start = end + 1;
    }
    if (!restarted) return parent;
  }
  return FailWith(e, ELOOP, stage, "openat2", abs);
}

struct DeviceNode {
  const char* host;
  const char* name;
};

constexpr DeviceNode kDevices[] = {
    {"/dev/null", "null"}, {"/dev/zero", "zero"},       {"/dev/full", "full"},
    {"/dev/random", "random"}, {"/dev/urandom", "urandom"}, {"/dev/tty", "tty"},
};

struct Link {
  const char* target;
  const char* name;
};

constexpr Link kDevLinks[] = {
    {"pts/ptmx", "ptmx"},
    {"/proc/self/fd", "fd"},
    {"/proc/self/fd/0", "stdin"},
    {"/proc/self/fd/1", "stdout"},
    {"/proc/self/fd/2", "stderr"},
};

// statfs flags -> the MS_* flags a bind remount must keep (locked ones in a user namespace).
unsigned long KeptFlags(const char* path) noexcept {
  struct statfs st;
  if (statfs(path, &st) < 0) return 0;
  unsigned long out = 0;
  if (st.f_flags & ST_NOSUID) out |= MS_NOSUID;
  if (st.f_flags & ST_NODEV) out |= MS_NODEV;
  if (st.f_flags & ST_NOEXEC) out |= MS_NOEXEC;
  if (st.f_flags & ST_NOATIME) out |= MS_NOATIME;
  if (st.f_flags & ST_NODIRATIME) out |= MS_NODIRATIME;
  if (st.f_flags & ST_RELATIME) out |= MS_RELATIME;
  if (st.f_flags & ST_RDONLY) out |= MS_RDONLY;
  return out;
}

// Raw syscalls of the new mount API (glibc's wrappers are not async-signal-safe promises).
long FsConfig(int fd, unsigned cmd, const char* key, const void* value) noexcept {
  return syscall(SYS_fsconfig, fd, cmd, key, value, 0);
}

// fsopen("overlay") + fsconfig per layer + fsmount + move_mount onto `rootfs`.
// Returns 0, -1 + *e, or 1 when this kernel's overlay does not take "lowerdir+"
// (< 6.8: EINVAL from fsconfig, or from FSCONFIG_CMD_CREATE where overlay still
// parses a legacy option string): the caller falls back to mount(2).
int MountOverlay(const char* rootfs, const ChildOverlay& o, ChildError* e) noexcept {
  int fs = static_cast<int>(syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC));
  if (fs < 0) return errno == ENOSYS ? 1 : Fail(e, kStageOverlay, "fsopen", rootfs);
  auto fail = [&](const char* sys, const char* path) {
    int err = errno;
    close(fs);
    return FailWith(e, err, kStageOverlay, sys, path);
  };
  for (unsigned i = 0; i < o.nlower; ++i) {
    if (FsConfig(fs, FSCONFIG_SET_STRING, "lowerdir+", o.lowerdirs[i]) < 0) {
      if (errno == EINVAL) {
        // Unknown key (6.5-6.7: first layer), or a legacy context's one-page limit (< 6.5),
        // or a layer overlay refuses. Past the first layer, keep it in *e: if the fallback
        // fails too, this names the layer.
        if (i > 0) {
          fail("fsconfig", o.lowerdirs[i]);
        } else {
          close(fs);
        }
        return 1;
      }
      return fail("fsconfig", o.lowerdirs[i]);
    }
  }
  if (FsConfig(fs, FSCONFIG_SET_STRING, "upperdir", o.upperdir) < 0) return fail("fsconfig", o.upperdir);
  if (FsConfig(fs, FSCONFIG_SET_STRING, "workdir", o.workdir) < 0) return fail("fsconfig", o.workdir);
  if (o.userxattr && FsConfig(fs, FSCONFIG_SET_FLAG, "userxattr", nullptr) < 0) return fail("fsconfig", rootfs);
  if (FsConfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr) < 0) {
    if (errno == EINVAL) {
      close(fs);
      return 1;
    }
    return fail("fsconfig", rootfs);
  }
  // nodev: a device node made inside the container (it keeps CAP_MKNOD) cannot be opened.
  int mnt = static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV));
  if (mnt < 0) return fail("fsmount", rootfs);
  close(fs);
  if (syscall(SYS_move_mount, mnt, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    int err = errno;
    close(mnt);
    return FailWith(e, err, kStageOverlay, "move_mount", rootfs);
  }
  close(mnt);
  return 0;
}

// mount(2) with the whole option string. *e may hold the new API's failure (see MountOverlay).
int MountOverlayLegacy(const char* rootfs, const ChildOverlay& o, ChildError* e) noexcept {
  const ChildError first = *e;
  const bool had_first = first.err != 0 && first.stage == kStageOverlay;
  if (o.legacy_options == nullptr) {
    if (had_first) return -1;
    return FailWith(e, E2BIG, kStageOverlay, "mount", rootfs);
  }
  if (o.chdir_to != nullptr && chdir(o.chdir_to) < 0) return Fail(e, kStageOverlay, "chdir", o.chdir_to);
  if (mount("overlay", rootfs, "overlay", MS_NODEV, o.legacy_options) < 0) {
    if (had_first && errno == EINVAL) {
      *e = first;  // both refused it: name the layer fsconfig stopped at
      return -1;
    }
    return Fail(e, kStageOverlay, "mount", rootfs);
  }
  return 0;
}

}  // namespace

void FdPath(char* buf, int fd) noexcept {
  const char prefix[] = "/proc/self/fd/";
  size_t i = 0;
  for (; prefix[i] != '\0'; ++i) buf[i] = prefix[i];
  char digits[12];
  int n = 0;
  unsigned v = static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) buf[i++] = digits[--n];
  buf[i] = '\0';
}

int MakeMountsPrivate(ChildError* e) noexcept {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
    return Fail(e, kStageMountPrivate, "mount", "/");
  return 0;
}

int MountRoot(const char* rootfs, const ChildOverlay* overlay, ChildError* e) noexcept {
  if (overlay != nullptr) {
    int rc = overlay->force_legacy ? 1 : MountOverlay(rootfs, *overlay, e);
    if (rc < 0) return -1;
    if (rc > 0 && MountOverlayLegacy(rootfs, *overlay, e) < 0) return -1;
  } else {
    if (mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) < 0) return Fail(e, kStageOverlay, "mount", rootfs);
    if (mount(nullptr, rootfs, nullptr, MS_BIND | MS_REMOUNT | MS_NODEV | KeptFlags(rootfs), nullptr) < 0)
      return Fail(e, kStageOverlay, "mount", rootfs);
  }
  if (chdir(rootfs) < 0) return Fail(e, kStageOverlay, "chdir", rootfs);
  int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Fail(e, kStageOverlay, "open", rootfs);
  return fd;
}

int MountOverlayOn(const char* target, const ChildOverlay* overlay, ChildError* e) noexcept {
  int rc = overlay->force_legacy ? 1 : MountOverlay(target, *overlay, e);
  if (rc > 0) rc = MountOverlayLegacy(target, *overlay, e);
  return rc < 0 ? -1 : 0;
}

int MountAll(int rootfd, const ChildMount* mounts, unsigned n, ChildError* e) noexcept {
  char fdpath[32];
  for (unsigned i = 0; i < n; ++i) {
    const ChildMount& m = mounts[i];
    int fd = OpenInRoot(rootfd, m.target, m.file, m.stage, e);
    if (fd < 0) return -1;
    FdPath(fdpath, fd);
    int rc = mount(m.source, fdpath, m.fstype, m.flags, m.data);
    if (rc == 0 && m.remount != 0) {
      // The new mount is on top of fdpath's dentry: reopen to address it.
      close(fd);
      fd = OpenInRoot(rootfd, m.target, false, m.stage, e);
      if (fd < 0) return -1;
      FdPath(fdpath, fd);
      rc = mount(nullptr, fdpath, nullptr, MS_BIND | MS_REMOUNT | m.remount | KeptFlags(fdpath), nullptr);
    }
    if (rc == 0 && m.propagation != 0) rc = mount(nullptr, fdpath, nullptr, m.propagation, nullptr);
    int err = errno;
    close(fd);
    if (rc < 0) return FailWith(e, err, m.stage, "mount", m.target);
  }
  return 0;
}

int PopulateDev(int rootfd, ChildError* e) noexcept {
  constexpr Stage s = kStageDev;
  int dev = OpenInRoot(rootfd, "/dev", false, s, e);
  if (dev < 0) return -1;
  char fdpath[32];
  for (const DeviceNode& d : kDevices) {
    int f = openat(dev, d.name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (f >= 0) close(f);
    int target = f >= 0 ? openat(dev, d.name, O_PATH | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (target < 0) {
      int err = errno;
      close(dev);
      return FailWith(e, err, s, "open", d.host);
    }
    FdPath(fdpath, target);
    int rc = mount(d.host, fdpath, nullptr, MS_BIND, nullptr);
    int err = errno;
    close(target);
    if (rc < 0) {
      close(dev);
      return FailWith(e, err, s, "mount", d.host);
    }
  }
  for (const Link& l : kDevLinks) {
    if (symlinkat(l.target, dev, l.name) < 0 && errno != EEXIST) {
      int err = errno;
      close(dev);
      return FailWith(e, err, s, "symlink", l.name);
    }
  }
  close(dev);
  return 0;
}

int PivotRoot(ChildError* e) noexcept {
  // cwd is the new root (MountRoot). Stacking the old root on top of the new
  // one and detaching it avoids needing a put_old directory.
  if (syscall(SYS_pivot_root, ".", ".") < 0) return Fail(e, kStagePivotRoot, "pivot_root", "/");
  if (umount2(".", MNT_DETACH) < 0) return Fail(e, kStagePivotRoot, "umount2", "/");
  if (chdir("/") < 0) return Fail(e, kStagePivotRoot, "chdir", "/");
  return 0;
}

int MaskPaths(const char* const* paths, unsigned n, ChildError* e) noexcept {
  for (unsigned i = 0; i < n; ++i) {
    struct stat st;
    if (stat(paths[i], &st) < 0) {
      if (errno == ENOENT) continue;
      return Fail(e, kStageMaskedPaths, "stat", paths[i]);
    }
    int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", paths[i], "tmpfs", MS_RDONLY, nullptr)
                                 : mount("/dev/null", paths[i], nullptr, MS_BIND, nullptr);
    if (rc < 0) return Fail(e, kStageMaskedPaths, "mount", paths[i]);
  }
  return 0;
}

int ReadonlyPaths(const char* const* paths, unsigned n, ChildError* e) noexcept {
  for (unsigned i = 0; i < n; ++i) {
    if (mount(paths[i], paths[i], nullptr, MS_BIND | MS_REC, nullptr) < 0) {
      if (errno == ENOENT) continue;
      return Fail(e, kStageReadonlyPaths, "mount", paths[i]);
    }
    if (mount(nullptr, paths[i], nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | KeptFlags(paths[i]), nullptr) < 0)
      return Fail(e, kStageReadonlyPaths, "mount", paths[i]);
  }
  return 0;
}

int RemountRootReadonly(ChildError* e) noexcept {
  if (mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | KeptFlags("/"), nullptr) < 0)
    return Fail(e, kStageMounts, "mount", "/");
  return 0;
}

}  // namespace berth
