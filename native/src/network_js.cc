#include "network_js.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "config.h"
#include "errors.h"
#include "netlink.h"
#include "unique_fd.h"

namespace berth {
namespace {

[[noreturn]] void Bad(Napi::Env env, const char* field, const std::string& what) {
  throw Napi::TypeError::New(env, std::string(field) + ": " + what);
}

std::string Str(Napi::Env env, Napi::Object o, const char* field, const char* key, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() && !required) return "";
  if (!v.IsString()) Bad(env, field, std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

uint32_t Ip(Napi::Env env, const char* field, const char* key, const std::string& text) {
  struct in_addr a;
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) Bad(env, field, std::string(key) + " must be an IPv4 address");
  return a.s_addr;
}

Napi::Value ErrorOf(Napi::Env env, const Error& e) {
  if (e.err == 0) {
    Napi::Object err = Napi::Error::New(env, e.stage + ": " + e.message).Value();
    err.Set("stage", e.stage);
    return err;
  }
  return MakeNativeError(env, e.stage.c_str(), e.err, e.syscall.c_str(), e.path.empty() ? nullptr : e.path.c_str());
}

pid_t GetPid(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 2 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": pid must be a number");
  int64_t pid = info[0].As<Napi::Number>().Int64Value();
  if (pid <= 0) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": pid must be positive");
  return static_cast<pid_t>(pid);
}

// Netlink round trips and a thread join: off the JS thread.
class NetWorker : public Napi::AsyncWorker {
 public:
  NetWorker(Napi::Env env, pid_t pid, VethSpec veth, std::string del)
      : Napi::AsyncWorker(env, "berth:network"), deferred_(Napi::Promise::Deferred::New(env)), pid_(pid), veth_(std::move(veth)), del_(std::move(del)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    const std::string path = "/proc/" + std::to_string(pid_) + "/ns/net";
    unique_fd ns(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) {
      rc_ = berth::SetError(&error_, "network", errno, "open", path);
      return;
    }
    rc_ = del_.empty() ? AttachVeth(ns.get(), veth_, &error_) : DeleteLink(ns.get(), del_, &error_);
  }
  void OnOK() override {
    if (rc_ < 0) deferred_.Reject(ErrorOf(Env(), error_));
    else deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  pid_t pid_;
  VethSpec veth_;
  std::string del_;
  Error error_;
  int rc_ = 0;
};

}  // namespace

VethSpec ReadVeth(Napi::Env env, Napi::Object o, const char* field) {
  VethSpec s;
  s.bridge = Str(env, o, field, "bridge", true);
  s.host_ifname = Str(env, o, field, "hostIfname", true);
  s.ifname = Str(env, o, field, "ifname", false);
  if (s.ifname.empty()) s.ifname = "eth0";
  for (const std::string* n : {&s.bridge, &s.host_ifname, &s.ifname})
    if (n->empty() || n->size() >= IFNAMSIZ || n->find('/') != std::string::npos) Bad(env, field, "interface names must be 1 to 15 bytes, no '/'");
  std::string mac = Str(env, o, field, "mac", false);
  if (!mac.empty()) {
    unsigned b[6];
    char end;
    if (std::sscanf(mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
      Bad(env, field, "mac must look like 02:42:0a:00:00:02");
    for (int i = 0; i < 6; ++i) s.mac[i] = static_cast<uint8_t>(b[i]);
    s.has_mac = true;
  }
  s.address = Ip(env, field, "address", Str(env, o, field, "address", true));
  Napi::Value p = o.Get("prefixLength");
  if (!p.IsNumber()) Bad(env, field, "prefixLength must be a number");
  int64_t prefix = p.As<Napi::Number>().Int64Value();
  if (prefix < 1 || prefix > 32) Bad(env, field, "prefixLength must be 1 to 32");
  s.prefix = static_cast<uint8_t>(prefix);
  std::string gw = Str(env, o, field, "gateway", false);
  if (!gw.empty()) s.gateway = Ip(env, field, "gateway", gw);
  Napi::Value mtu = o.Get("mtu");
  if (!mtu.IsUndefined()) {
    if (!mtu.IsNumber()) Bad(env, field, "mtu must be a number");
    int64_t m = mtu.As<Napi::Number>().Int64Value();
    if (m < 68 || m > 65535) Bad(env, field, "mtu must be 68 to 65535");
    s.mtu = static_cast<uint32_t>(m);
  }
  return s;
}

Napi::Value AttachNetworkJs(const Napi::CallbackInfo& info) {
  pid_t pid = GetPid(info, "attachNetwork");
  if (!info[1].IsObject()) throw Napi::TypeError::New(info.Env(), "attachNetwork: expected a veth spec object");
  auto* w = new NetWorker(info.Env(), pid, ReadVeth(info.Env(), info[1].As<Napi::Object>(), "veth"), "");
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value DetachNetworkJs(const Napi::CallbackInfo& info) {
  pid_t pid = GetPid(info, "detachNetwork");
  if (!info[1].IsString()) throw Napi::TypeError::New(info.Env(), "detachNetwork: ifname must be a string");
  std::string name = info[1].As<Napi::String>().Utf8Value();
  if (name.empty() || name.size() >= IFNAMSIZ) throw Napi::TypeError::New(info.Env(), "detachNetwork: ifname must be 1 to 15 bytes");
  auto* w = new NetWorker(info.Env(), pid, VethSpec{}, name);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace berth
