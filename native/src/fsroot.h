// Paths of a filesystem tree opened from the host, resolved inside its root:
// openInRoot (berth cp, layer unpacking) and linkInRoot (hard links of a layer).
#pragma once

#include <napi.h>

namespace berth {

Napi::Value OpenInRootJs(const Napi::CallbackInfo& info);
Napi::Value LinkInRootJs(const Napi::CallbackInfo& info);

}  // namespace berth
