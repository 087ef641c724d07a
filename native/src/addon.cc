// Registers the addon's exports; the work lives in one file per kernel area.
#include <napi.h>

#include "cgroups_js.h"
#include "errors.h"
#include "network_js.h"
#include "overlay_js.h"
#include "fsroot.h"
#include "pty_js.h"
#include "shim_js.h"
#include "spawn.h"
#include "wait.h"
#include "xattrs.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, berth::Spawn, "spawn"));
  exports.Set("exec", Napi::Function::New(env, berth::Exec, "exec"));
  exports.Set("resizePty", Napi::Function::New(env, berth::ResizePty, "resizePty"));
  exports.Set("drainPty", Napi::Function::New(env, berth::DrainPty, "drainPty"));
  exports.Set("wait", Napi::Function::New(env, berth::Wait, "wait"));
  exports.Set("shimOpen", Napi::Function::New(env, berth::ShimOpen, "shimOpen"));
  exports.Set("shimWait", Napi::Function::New(env, berth::ShimWait, "shimWait"));
  exports.Set("shimRelease", Napi::Function::New(env, berth::ShimRelease, "shimRelease"));
  exports.Set("kill", Napi::Function::New(env, berth::Kill, "kill"));
  exports.Set("cgroupStats", Napi::Function::New(env, berth::CgroupStatsJs, "cgroupStats"));
  exports.Set("removeCgroup", Napi::Function::New(env, berth::RemoveCgroupJs, "removeCgroup"));
  exports.Set("freezeCgroup", Napi::Function::New(env, berth::FreezeCgroupJs, "freezeCgroup"));
  exports.Set("cgroupInfo", Napi::Function::New(env, berth::CgroupInfoJs, "cgroupInfo"));
  exports.Set("attachNetwork", Napi::Function::New(env, berth::AttachNetworkJs, "attachNetwork"));
  exports.Set("detachNetwork", Napi::Function::New(env, berth::DetachNetworkJs, "detachNetwork"));
  exports.Set("openInRoot", Napi::Function::New(env, berth::OpenInRootJs, "openInRoot"));
  exports.Set("linkInRoot", Napi::Function::New(env, berth::LinkInRootJs, "linkInRoot"));
  exports.Set("listXattrs", Napi::Function::New(env, berth::ListXattrs, "listXattrs"));
  exports.Set("getXattr", Napi::Function::New(env, berth::GetXattr, "getXattr"));
  exports.Set("setXattr", Napi::Function::New(env, berth::SetXattr, "setXattr"));
  exports.Set("mountOverlay", Napi::Function::New(env, berth::MountOverlayJs, "mountOverlay"));
  exports.Set("unmount", Napi::Function::New(env, berth::UnmountJs, "unmount"));
  exports.Set("setErrorClass", Napi::Function::New(env, berth::SetErrorClass, "setErrorClass"));
  return exports;
}

}  // namespace

NODE_API_MODULE(berth_native, Init)
