#include "errors.h"

#include <cstring>
#include <string>

namespace berth {
namespace {

struct AddonData {
  Napi::FunctionReference error_class;
};

std::string ErrnoCode(int err) {
  const char* name = strerrorname_np(err);  // glibc >= 2.32: "ENOENT"
  return name != nullptr ? name : "E" + std::to_string(err);
}

std::string ErrnoText(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);  // GNU variant: returns the message
}

}  // namespace

Napi::Object MakeNativeError(Napi::Env env, const char* stage, int err, const char* syscall,
                             const char* path) {
  const bool has_path = path != nullptr && path[0] != '\0';
  const std::string code = ErrnoCode(err);
  std::string message = std::string(stage) + ": " + syscall;
  if (has_path) message += std::string(" ") + path;
  message += ": " + ErrnoText(err) + " (" + code + ")";

  Napi::Object fields = Napi::Object::New(env);
  fields.Set("code", code);
  fields.Set("errno", -err);  // negative, as in Node's fs/libuv errors
  fields.Set("syscall", syscall);
  if (has_path) fields.Set("path", path);
  fields.Set("stage", stage);

  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->error_class.IsEmpty()) {
    return data->error_class.New({Napi::String::New(env, message), fields});
  }
  Napi::Object error = Napi::Error::New(env, message).Value();
  for (const char* key : {"code", "errno", "syscall", "path", "stage"}) {
    if (fields.Has(key)) error.Set(key, fields.Get(key));
  }
  return error;
}

void ThrowNativeError(Napi::Env env, const char* stage, int err, const char* syscall,
                      const char* path) {
  throw Napi::Error(env, MakeNativeError(env, stage, err, syscall, path));
}

void SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction())
    throw Napi::TypeError::New(env, "setErrorClass: expected a constructor");
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data == nullptr) {
    data = new AddonData();
    env.SetInstanceData(data);
  }
  data->error_class = Napi::Persistent(info[0].As<Napi::Function>());
}

}  // namespace berth
