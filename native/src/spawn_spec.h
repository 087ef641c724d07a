// RunSpec / ExecSpec (JS objects) into the runtime's ContainerConfig / ExecConfig.
#pragma once

#include <napi.h>
#include <sys/types.h>

#include "config.h"

namespace berth {

// Throws a Napi::TypeError naming the field ("RunSpec.<field>: ...") for a malformed spec.
ContainerConfig ReadRunSpec(Napi::Env env, Napi::Value value);
ExecConfig ReadExecSpec(Napi::Env env, pid_t pid, Napi::Value value);

}  // namespace berth
