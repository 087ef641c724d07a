// wait(pid): Promise<{ exitCode, signal }> and kill(pid, signal): void
#pragma once

#include <napi.h>

namespace berth {

Napi::Value Wait(const Napi::CallbackInfo& info);
void Kill(const Napi::CallbackInfo& info);

}  // namespace berth
