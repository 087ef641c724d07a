// The one place that turns a failed syscall into a JS error shaped like Node's
// fs errors: { message, code: 'ENOENT', errno: -2, syscall, path?, stage }.
#pragma once

#include <napi.h>

namespace berth {

// Message: "<stage>: <syscall>[ <path>]: <strerror> (<CODE>)".
// Instance of the class registered with setErrorClass() (NativeError), or a
// plain Error carrying the same fields before one is registered.
Napi::Object MakeNativeError(Napi::Env env, const char* stage, int err, const char* syscall,
                             const char* path = nullptr);

// throw Napi::Error wrapping MakeNativeError(...).
[[noreturn]] void ThrowNativeError(Napi::Env env, const char* stage, int err, const char* syscall,
                                   const char* path = nullptr);

// JS: setErrorClass(ctor: new (message: string, fields: NativeErrorFields) => Error): void
void SetErrorClass(const Napi::CallbackInfo& info);

}  // namespace berth
