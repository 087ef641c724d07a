// JS side of container networking: RunSpec.network parsing, and attaching/detaching
// interfaces of a running container (network connect/disconnect).
#pragma once

#include <napi.h>

#include "veth.h"

namespace berth {

// {bridge, hostIfname, ifname?, mac?, address, prefixLength, gateway?, mtu?}; throws TypeError.
VethSpec ReadVeth(Napi::Env env, Napi::Object o, const char* field);

// attachNetwork(pid, veth): Promise<void>.
Napi::Value AttachNetworkJs(const Napi::CallbackInfo& info);
// detachNetwork(pid, ifname): Promise<void>; deletes the interface inside the container.
Napi::Value DetachNetworkJs(const Napi::CallbackInfo& info);

}  // namespace berth
