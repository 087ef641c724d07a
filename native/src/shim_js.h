// The worker's side of berth-shim (shim_protocol.h): open (hold fds, attach), wait, release.
#pragma once

#include <napi.h>

namespace berth {

Napi::Value ShimOpen(const Napi::CallbackInfo& info);
Napi::Value ShimWait(const Napi::CallbackInfo& info);
void ShimRelease(const Napi::CallbackInfo& info);

}  // namespace berth
