// spawn(spec: RunSpec): Promise<Spawned | SpawnedTty>
// exec(pid, spec: ExecSpec): Promise<Spawned | SpawnedTty>
#pragma once

#include <napi.h>

namespace berth {

Napi::Value Spawn(const Napi::CallbackInfo& info);
Napi::Value Exec(const Napi::CallbackInfo& info);

}  // namespace berth
