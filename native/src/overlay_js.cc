#include "overlay_js.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>
#include <vector>

#include "child.h"
#include "errors.h"
#include "mounts.h"

namespace berth {
namespace {

std::string PathArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* what) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + what + " must be a string");
  std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.empty() || s[0] != '/' || s.find('\0') != std::string::npos)
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + what + " must be an absolute path without NUL");
  return s;
}

// A mount operation off the JS thread. The error's path points into strings this worker
// owns (ChildError keeps pointers), so they live as long as it does.
class MountWorker : public Napi::AsyncWorker {
 public:
  MountWorker(Napi::Env env, const char* name, std::function<int(ChildError*)> op)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), op_(std::move(op)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { rc_ = op_(&error_); }
  void OnOK() override {
    if (rc_ < 0) {
      deferred_.Reject(MakeNativeError(Env(), StageName(error_.stage), error_.err, error_.syscall, error_.path));
      return;
    }
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<int(ChildError*)> op_;
  ChildError error_;
  int rc_ = 0;
};

// What one overlay mount needs, kept alive (ChildOverlay points into it) until the worker is done.
struct OverlayPlan {
  std::string target, upper, work, legacy;
  std::vector<std::string> lower;
  std::vector<const char*> lower_ptrs;
};

}  // namespace

Napi::Value MountOverlayJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto plan = std::make_shared<OverlayPlan>();
  plan->target = PathArg(info, 0, "mountOverlay", "target");
  if (info.Length() < 2 || !info[1].IsArray()) throw Napi::TypeError::New(env, "mountOverlay: lowerdirs must be an array");
  Napi::Array arr = info[1].As<Napi::Array>();
  if (arr.Length() == 0) throw Napi::TypeError::New(env, "mountOverlay: lowerdirs must not be empty");
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) throw Napi::TypeError::New(env, "mountOverlay: each lowerdir must be a string");
    std::string d = v.As<Napi::String>().Utf8Value();
    // ':' and ',' separate options in the mount(2) fallback's string.
    if (d.empty() || d[0] != '/' || d.find_first_of(std::string(":,\0", 3)) != std::string::npos)
      throw Napi::TypeError::New(env, "mountOverlay: a lowerdir must be an absolute path without ':', ',' or NUL: " + d);
    plan->lower.push_back(d);
  }
  plan->upper = PathArg(info, 2, "mountOverlay", "upperdir");
  plan->work = PathArg(info, 3, "mountOverlay", "workdir");
  for (const std::string& d : plan->lower) plan->lower_ptrs.push_back(d.c_str());
  std::string legacy = "lowerdir=";
  for (size_t i = 0; i < plan->lower.size(); ++i) legacy += (i ? ":" : "") + plan->lower[i];
  legacy += ",upperdir=" + plan->upper + ",workdir=" + plan->work;
  if (legacy.size() < static_cast<size_t>(sysconf(_SC_PAGESIZE))) plan->legacy = legacy;
  auto* w = new MountWorker(env, "berth:mountOverlay", [plan](ChildError* e) {
    ChildOverlay o = {};
    o.lowerdirs = plan->lower_ptrs.data();
    o.nlower = static_cast<unsigned>(plan->lower_ptrs.size());
    o.upperdir = plan->upper.c_str();
    o.workdir = plan->work.c_str();
    o.legacy_options = plan->legacy.empty() ? nullptr : plan->legacy.c_str();
    return MountOverlayOn(plan->target.c_str(), &o, e);
  });
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value UnmountJs(const Napi::CallbackInfo& info) {
  auto target = std::make_shared<std::string>(PathArg(info, 0, "unmount", "target"));
  if (info.Length() < 2 || !info[1].IsBoolean()) throw Napi::TypeError::New(info.Env(), "unmount: detach must be a boolean");
  const int flags = info[1].As<Napi::Boolean>().Value() ? MNT_DETACH : 0;
  auto* w = new MountWorker(info.Env(), "berth:unmount", [target, flags](ChildError* e) {
    if (umount2(target->c_str(), flags | UMOUNT_NOFOLLOW) < 0) return Fail(e, kStageMounts, "umount2", target->c_str());
    return 0;
  });
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace berth
