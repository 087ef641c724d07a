#include "cgroups_js.h"

#include <functional>
#include <string>

#include "cgroups.h"
#include "errors.h"

namespace berth {
namespace {

std::string GetPath(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": path must be a string");
  return info[0].As<Napi::String>().Utf8Value();
}

Napi::Value ErrorOf(Napi::Env env, const Error& e) {
  if (e.err == 0) {
    Napi::Object err = Napi::Error::New(env, e.stage + ": " + e.message).Value();
    err.Set("stage", e.stage);
    return err;
  }
  return MakeNativeError(env, e.stage.c_str(), e.err, e.syscall.c_str(), e.path.empty() ? nullptr : e.path.c_str());
}

Napi::Value OrNull(Napi::Env env, int64_t v) { return v < 0 ? env.Null() : Napi::Number::New(env, static_cast<double>(v)); }

// cgroup files are small but can block (a v1 rmdir waits for dying tasks): off the JS thread.
class StatsWorker : public Napi::AsyncWorker {
 public:
  StatsWorker(Napi::Env env, std::string path)
      : Napi::AsyncWorker(env, "berth:cgroupStats"), deferred_(Napi::Promise::Deferred::New(env)), path_(std::move(path)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { rc_ = ReadCgroupStats(path_, &stats_, &error_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (rc_ < 0) {
      deferred_.Reject(ErrorOf(env, error_));
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("memory", OrNull(env, stats_.memory));
    o.Set("memoryLimit", OrNull(env, stats_.memory_limit));
    o.Set("cpuNs", OrNull(env, stats_.cpu_ns));
    o.Set("pids", OrNull(env, stats_.pids));
    o.Set("oomKills", OrNull(env, stats_.oom_kills));
    o.Set("ioReadBytes", OrNull(env, stats_.io_read));
    o.Set("ioWriteBytes", OrNull(env, stats_.io_write));
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  CgroupStats stats_;
  Error error_;
  int rc_ = 0;
};

// A cgroup operation with no result, off the JS thread: resolves, or rejects with its Error.
class OperationWorker : public Napi::AsyncWorker {
 public:
  OperationWorker(Napi::Env env, const char* name, std::function<int(Error*)> op)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), op_(std::move(op)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { rc_ = op_(&error_); }
  void OnOK() override {
    if (rc_ < 0) {
      deferred_.Reject(ErrorOf(Env(), error_));
      return;
    }
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<int(Error*)> op_;
  Error error_;
  int rc_ = 0;
};

}  // namespace

Napi::Value FreezeCgroupJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[1].IsBoolean()) throw Napi::TypeError::New(info.Env(), "freezeCgroup: frozen must be a boolean");
  const bool frozen = info[1].As<Napi::Boolean>().Value();
  auto* w = new OperationWorker(info.Env(), "berth:freezeCgroup", [path = GetPath(info, "freezeCgroup"), frozen](Error* e) { return FreezeCgroup(path, frozen, e); });
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value CgroupStatsJs(const Napi::CallbackInfo& info) {
  auto* w = new StatsWorker(info.Env(), GetPath(info, "cgroupStats"));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value RemoveCgroupJs(const Napi::CallbackInfo& info) {
  auto* w = new OperationWorker(info.Env(), "berth:removeCgroup", [path = GetPath(info, "removeCgroup")](Error* e) { return RemoveCgroup(path, e); });
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value CgroupInfoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CgroupLayout& l = DetectCgroups();
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", l.version);
  Napi::Object mounts = Napi::Object::New(env);
  if (l.version == 2) {
    mounts.Set("unified", l.v2_root);
  } else {
    for (const CgroupLayout::Hierarchy& h : l.v1) {
      for (const std::string& c : h.controllers) mounts.Set(c, h.mount);
    }
  }
  o.Set("mounts", mounts);
  return o;
}

}  // namespace berth
