// Registers the addon's exports; the work lives in one file per kernel area.
#include <napi.h>

#include "errors.h"
#include "spawn.h"
#include "wait.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, berth::Spawn, "spawn"));
  exports.Set("wait", Napi::Function::New(env, berth::Wait, "wait"));
  exports.Set("kill", Napi::Function::New(env, berth::Kill, "kill"));
  exports.Set("setErrorClass", Napi::Function::New(env, berth::SetErrorClass, "setErrorClass"));
  return exports;
}

}  // namespace

NODE_API_MODULE(berth_native, Init)
