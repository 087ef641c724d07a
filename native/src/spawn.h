// spawn(spec: RunSpec): Promise<Spawned | SpawnedTty>
// exec(pid, spec: ExecSpec): Promise<Spawned | SpawnedTty>
// resizePty(fd, cols, rows): void
#pragma once

#include <napi.h>

namespace berth {

Napi::Value Spawn(const Napi::CallbackInfo& info);
Napi::Value Exec(const Napi::CallbackInfo& info);
void ResizePty(const Napi::CallbackInfo& info);

}  // namespace berth
