#include "xattrs.h"

#include <sys/xattr.h>

#include <cerrno>
#include <string>
#include <vector>

#include "errors.h"

// Synchronous on purpose: each call is one metadata syscall on a local filesystem (like
// lstat), cheaper than a hop to a pool thread, and packing a layer makes one per file.
namespace berth {
namespace {

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* what) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + what + " must be a string");
  std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.empty() || s.find('\0') != std::string::npos)
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + what + " must be non-empty and contain no NUL");
  return s;
}

// Calls fn(buf, size) with a growing buffer until the value fits: the attribute can change
// size between the probe and the read (ERANGE).
template <typename Fn>
ssize_t ReadSized(std::vector<char>* buf, Fn fn) {
  for (int attempt = 0; attempt < 8; attempt++) {
    ssize_t need = fn(nullptr, 0);
    if (need < 0) return -1;
    if (need == 0) {
      buf->clear();
      return 0;
    }
    buf->resize(static_cast<size_t>(need));
    ssize_t got = fn(buf->data(), buf->size());
    if (got >= 0) return got;
    if (errno != ERANGE) return -1;
  }
  errno = ERANGE;
  return -1;
}

}  // namespace

Napi::Value ListXattrs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = StringArg(info, 0, "listXattrs", "path");
  std::vector<char> buf;
  ssize_t n = ReadSized(&buf, [&](char* b, size_t s) { return llistxattr(path.c_str(), b, s); });
  if (n < 0) ThrowNativeError(env, "xattr", errno, "llistxattr", path.c_str());
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  for (ssize_t i = 0; i < n;) {
    std::string name(buf.data() + i);
    i += static_cast<ssize_t>(name.size()) + 1;
    if (!name.empty()) out.Set(k++, name);
  }
  return out;
}

Napi::Value GetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = StringArg(info, 0, "getXattr", "path");
  const std::string name = StringArg(info, 1, "getXattr", "name");
  std::vector<char> buf;
  ssize_t n = ReadSized(&buf, [&](char* b, size_t s) { return lgetxattr(path.c_str(), name.c_str(), b, s); });
  if (n < 0) ThrowNativeError(env, "xattr", errno, "lgetxattr", path.c_str());
  return Napi::Buffer<char>::Copy(env, buf.data(), static_cast<size_t>(n));
}

Napi::Value SetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = StringArg(info, 0, "setXattr", "path");
  const std::string name = StringArg(info, 1, "setXattr", "name");
  if (info.Length() < 3 || !info[2].IsBuffer()) throw Napi::TypeError::New(env, "setXattr: value must be a Buffer");
  Napi::Buffer<char> value = info[2].As<Napi::Buffer<char>>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.Length(), 0) < 0)
    ThrowNativeError(env, "xattr", errno, "lsetxattr", path.c_str());
  return env.Undefined();
}

}  // namespace berth
