// Extended attributes of one path, never following a symlink (the l* calls): what layers
// carry as PAX SCHILY.xattr records (file capabilities, user.* data).
#pragma once

#include <napi.h>

namespace berth {

// JS: listXattrs(path: string): string[]
Napi::Value ListXattrs(const Napi::CallbackInfo& info);
// JS: getXattr(path: string, name: string): Buffer
Napi::Value GetXattr(const Napi::CallbackInfo& info);
// JS: setXattr(path: string, name: string, value: Buffer): void
Napi::Value SetXattr(const Napi::CallbackInfo& info);

}  // namespace berth
