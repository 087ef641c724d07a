// A container's terminal, the master side the worker holds.
// resizePty(fd, cols, rows): void
// drainPty(fd): Buffer (what the master holds now; never blocks)
#pragma once

#include <napi.h>

namespace berth {

void ResizePty(const Napi::CallbackInfo& info);
Napi::Value DrainPty(const Napi::CallbackInfo& info);

}  // namespace berth
