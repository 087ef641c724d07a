// openInRoot: a path of a container's filesystem opened from the host, resolved inside its root.
#pragma once

#include <napi.h>

namespace berth {

Napi::Value OpenInRootJs(const Napi::CallbackInfo& info);

}  // namespace berth
