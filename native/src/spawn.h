// spawn(spec: RunSpec): Promise<{ pid, stdout, stderr }>
#pragma once

#include <napi.h>

namespace berth {

Napi::Value Spawn(const Napi::CallbackInfo& info);

}  // namespace berth
