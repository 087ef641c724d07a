// Paths of a filesystem tree opened from the host (berth cp into a container's root,
// layer unpacking into a snapshot): every component is resolved by the kernel inside
// the given root (openat2 with RESOLVE_IN_ROOT), so a symlink in the tree
// (/tmp/evil -> /, -> ../../..) or a ".." can never lead to a host file. With
// noSymlinks, a path crossing any symlink is refused outright (ELOOP) and mount
// points are not crossed (EXDEV): what unpacking a layer wants. Needs Linux >= 5.6.
#include "fsroot.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "unique_fd.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace berth {

namespace {

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": paths must not contain NUL bytes");
  return s;
}

unique_fd OpenRoot(Napi::Env env, const std::string& root, const char* stage) {
  unique_fd rootfd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) ThrowNativeError(env, stage, errno, "open", root.c_str());
  return rootfd;
}

uint64_t ResolveFlags(bool noSymlinks) {
  uint64_t r = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (noSymlinks) r |= RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV;
  return r;
}

// openat2 relative to dirfd; returns < 0 with errno set.
int OpenAt2(int dirfd, const std::string& path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = resolve;
  const char* rel = path.c_str();
  while (*rel == '/') ++rel;
  if (*rel == '\0') rel = ".";
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, dirfd, rel, &how, sizeof how));
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  return fd;
}

bool NoSymlinksOption(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return false;
  if (!info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "options: expected an object");
  Napi::Value v = info[i].As<Napi::Object>().Get("noSymlinks");
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

}  // namespace

// JS: openInRoot(root: string, path: string, flags: number, mode: number, options?: { noSymlinks?: boolean }): number (an fd, O_CLOEXEC).
Napi::Value OpenInRootJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber() || !info[3].IsNumber())
    throw Napi::TypeError::New(env, "openInRoot(root: string, path: string, flags: number, mode: number, options?: object)");
  const std::string root = StringArg(info, 0, "openInRoot");
  const std::string path = StringArg(info, 1, "openInRoot");
  const bool noSymlinks = NoSymlinksOption(info, 4);
  unique_fd rootfd = OpenRoot(env, root, "open-in-root");
  const uint64_t flags = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()) | O_CLOEXEC;
  // openat2 refuses a mode without O_CREAT/O_TMPFILE (O_TMPFILE includes O_DIRECTORY's bit: compare whole).
  const bool creates = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == static_cast<uint64_t>(O_TMPFILE);
  const uint64_t mode = creates ? static_cast<uint64_t>(info[3].As<Napi::Number>().Uint32Value()) & 07777 : 0;
  const int fd = OpenAt2(rootfd.get(), path, flags, mode, ResolveFlags(noSymlinks));
  if (fd < 0) ThrowNativeError(env, "open-in-root", errno, "openat2", path.c_str());
  return Napi::Number::New(env, fd);
}

// JS: linkInRoot(root: string, existing: string, newPath: string): void.
// Both paths are resolved inside root and may cross no symlink and no mount point; a
// trailing symlink of `existing` is linked itself (as link(2) does), never followed.
// The link is made from the resolved descriptor (linkat AT_EMPTY_PATH), so nothing can
// swap a component between the check and the link.
Napi::Value LinkInRootJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString())
    throw Napi::TypeError::New(env, "linkInRoot(root: string, existing: string, newPath: string)");
  const std::string root = StringArg(info, 0, "linkInRoot");
  const std::string existing = StringArg(info, 1, "linkInRoot");
  const std::string newPath = StringArg(info, 2, "linkInRoot");
  const uint64_t resolve = ResolveFlags(true);
  unique_fd rootfd = OpenRoot(env, root, "link-in-root");

  unique_fd src(OpenAt2(rootfd.get(), existing, O_PATH | O_NOFOLLOW, 0, resolve));
  if (!src) ThrowNativeError(env, "link-in-root", errno, "openat2", existing.c_str());
  struct stat st;
  if (fstat(src.get(), &st) < 0) ThrowNativeError(env, "link-in-root", errno, "fstat", existing.c_str());
  if (S_ISDIR(st.st_mode)) ThrowNativeError(env, "link-in-root", EISDIR, "linkat", existing.c_str());

  std::string trimmed = newPath;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : trimmed.substr(0, slash);
  const std::string base = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") ThrowNativeError(env, "link-in-root", EINVAL, "linkat", newPath.c_str());
  unique_fd dir(OpenAt2(rootfd.get(), parent.empty() ? "." : parent, O_PATH | O_DIRECTORY, 0, resolve));
  if (!dir) ThrowNativeError(env, "link-in-root", errno, "openat2", parent.c_str());

  if (linkat(src.get(), "", dir.get(), base.c_str(), AT_EMPTY_PATH) < 0) ThrowNativeError(env, "link-in-root", errno, "linkat", newPath.c_str());
  return env.Undefined();
}

}  // namespace berth
