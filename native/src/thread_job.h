// Blocking work on its own thread, its promise settled on the JS thread: waitpid and the shim's
// socket block for as long as a container lives (never a libuv pool thread: there are only 4).
#pragma once

#include <napi.h>

#include <system_error>
#include <thread>

#include "errors.h"

namespace berth {

// `job` (owned from here on) has a `deferred`; `work` runs on the new thread, then `Settle` on the
// JS thread settles the promise and deletes the job. When the environment is going and the call
// cannot be made, `Settle` runs on the thread with a null env: it must only clean up then.
template <typename Job, void (*Settle)(Napi::Env, Napi::Function, std::nullptr_t*, Job*)>
Napi::Value SettleFromThread(Napi::Env env, const char* name, const char* stage, Job* job, void (*work)(Job*)) {
  using Tsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, Job, Settle>;
  Napi::Promise::Deferred deferred = job->deferred;
  Tsfn tsfn;
  try {
    tsfn = Tsfn::New(env, name, 0, 1);
  } catch (...) {
    delete job;
    throw;
  }
  try {
    std::thread([tsfn, job, work]() mutable {
      work(job);
      napi_status st = tsfn.BlockingCall(job);
      if (st != napi_ok) Settle(Napi::Env(nullptr), Napi::Function(), nullptr, job);
      // Closing: the environment has let go of the function already (touching it is not allowed).
      if (st != napi_closing) tsfn.Release();
    }).detach();
  } catch (const std::system_error& e) {
    delete job;
    tsfn.Release();
    deferred.Reject(MakeNativeError(env, stage, e.code().value(), "pthread_create"));
  }
  return deferred.Promise();
}

}  // namespace berth
