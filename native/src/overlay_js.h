// Host-side overlay mounts (copy-on-write volumes): mounted and unmounted by the worker
// itself, in its own mount namespace, off the JS thread.
#pragma once

#include <napi.h>

namespace berth {

// JS: mountOverlay(target: string, lowerdirs: string[], upperdir: string, workdir: string): Promise<void>
Napi::Value MountOverlayJs(const Napi::CallbackInfo& info);
// JS: unmount(target: string, detach: boolean): Promise<void>
Napi::Value UnmountJs(const Napi::CallbackInfo& info);

}  // namespace berth
