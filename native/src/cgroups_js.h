// cgroupStats(path): Promise<CgroupStats>, removeCgroup(path): Promise<void>,
// cgroupInfo(): { version, root? , hierarchies? } — JS side of cgroups.cc.
#pragma once

#include <napi.h>

namespace berth {

Napi::Value CgroupStatsJs(const Napi::CallbackInfo& info);
Napi::Value RemoveCgroupJs(const Napi::CallbackInfo& info);
Napi::Value CgroupInfoJs(const Napi::CallbackInfo& info);
Napi::Value FreezeCgroupJs(const Napi::CallbackInfo& info);

}  // namespace berth
