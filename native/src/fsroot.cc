// Opening paths of a container's filesystem from the host (berth cp): every
// component is resolved by the kernel inside the given root (openat2 with
// RESOLVE_IN_ROOT), so a symlink in the container (/tmp/evil -> /, -> ../../..)
// or a ".." can never lead to a host file. Needs Linux >= 5.6.
#include "fsroot.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "unique_fd.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace berth {

// JS: openInRoot(root: string, path: string, flags: number, mode: number): number (an fd, O_CLOEXEC).
Napi::Value OpenInRootJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber() || !info[3].IsNumber())
    throw Napi::TypeError::New(env, "openInRoot(root: string, path: string, flags: number, mode: number)");
  const std::string root = info[0].As<Napi::String>().Utf8Value();
  const std::string path = info[1].As<Napi::String>().Utf8Value();
  if (root.find('\0') != std::string::npos || path.find('\0') != std::string::npos)
    throw Napi::TypeError::New(env, "openInRoot: paths must not contain NUL bytes");
  unique_fd rootfd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) ThrowNativeError(env, "open-in-root", errno, "open", root.c_str());
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()) | O_CLOEXEC;
  // openat2 refuses a mode without O_CREAT/O_TMPFILE (O_TMPFILE includes O_DIRECTORY's bit: compare whole).
  const bool creates = (how.flags & O_CREAT) != 0 || (how.flags & O_TMPFILE) == static_cast<uint64_t>(O_TMPFILE);
  how.mode = creates ? static_cast<uint64_t>(info[3].As<Napi::Number>().Uint32Value()) & 07777 : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const char* rel = path.c_str();
  while (*rel == '/') ++rel;
  if (*rel == '\0') rel = ".";
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, rootfd.get(), rel, &how, sizeof how));
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd < 0) ThrowNativeError(env, "open-in-root", errno, "openat2", path.c_str());
  return Napi::Number::New(env, fd);
}

}  // namespace berth
