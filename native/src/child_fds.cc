#include "child_fds.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace berth {
namespace {

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

// The smallest kept fd >= from, or -1.
int NextKept(unsigned from, const int* keep, unsigned nkeep, const int* more, unsigned nmore) noexcept {
  int best = -1;
  auto consider = [&](int fd) {
    if (fd >= 0 && static_cast<unsigned>(fd) >= from && (best < 0 || fd < best)) best = fd;
  };
  for (unsigned i = 0; i < nkeep; ++i) consider(keep[i]);
  for (unsigned i = 0; i < nmore; ++i) consider(more[i]);
  return best;
}

bool Kept(int fd, const int* keep, unsigned nkeep, const int* more, unsigned nmore) noexcept {
  for (unsigned i = 0; i < nkeep; ++i) {
    if (keep[i] == fd) return true;
  }
  for (unsigned i = 0; i < nmore; ++i) {
    if (more[i] == fd) return true;
  }
  return false;
}

}  // namespace

void CloseFdsExcept(const int* keep, unsigned nkeep, const int* more, unsigned nmore) noexcept {
  unsigned from = 3;
  bool ok = true;
  for (;;) {
    int k = NextKept(from, keep, nkeep, more, nmore);
    const unsigned to = k < 0 ? ~0u : static_cast<unsigned>(k) - 1;
    if (k < 0 || static_cast<unsigned>(k) > from) ok = syscall(SYS_close_range, from, to, 0u) == 0;
    if (!ok || k < 0) break;
    from = static_cast<unsigned>(k) + 1;
  }
  if (ok) return;
  // No close_range (Linux < 5.9): every fd up to the limit, one by one.
  struct rlimit rl;
  int max = 65536;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 1048576)
    max = static_cast<int>(rl.rlim_cur);
  for (int fd = 3; fd < max; ++fd) {
    if (!Kept(fd, keep, nkeep, more, nmore)) close(fd);
  }
}

int EnterCwd(const char* cwd, ChildError* e) noexcept {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return Fail(e, kStageCwd, "open", "/");
  struct open_how how = {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int dir = static_cast<int>(syscall(SYS_openat2, root, cwd, &how, sizeof how));
  const int open_errno = errno;
  close(root);
  if (dir >= 0) {
    int rc = fchdir(dir);
    const int chdir_errno = errno;
    close(dir);
    return rc < 0 ? FailWith(e, chdir_errno, kStageCwd, "fchdir", cwd) : 0;
  }
  if (open_errno != ENOSYS) return FailWith(e, open_errno, kStageCwd, "openat2", cwd);
  // No openat2: the fds that could lead out are closed already; refuse what still does.
  if (chdir(cwd) < 0) return Fail(e, kStageCwd, "chdir", cwd);
  char buf[PATH_MAX];
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  if (n < 0) return Fail(e, kStageCwd, "getcwd", cwd);
  if (buf[0] != '/') return FailWith(e, ENOENT, kStageCwd, "getcwd", cwd);  // "(unreachable)/..."
  return 0;
}

}  // namespace berth
