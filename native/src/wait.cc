// Reaping and signalling containers. waitpid blocks, so each wait gets its own
// thread (never a libuv pool thread: there are only 4 and containers live long)
// and reports through a thread-safe function that settles the promise.
#include "wait.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "errors.h"

namespace berth {
namespace {

struct WaitJob {
  explicit WaitJob(Napi::Promise::Deferred d) : deferred(std::move(d)) {}
  Napi::Promise::Deferred deferred;
  int status = 0;
  int err = 0;  // errno of waitpid, 0 on success
};

void SettleWait(Napi::Env env, Napi::Function /*unused*/, std::nullptr_t* /*context*/, WaitJob* job) {
  if (env != nullptr) {  // null while the environment is being torn down
    try {
      if (job->err != 0) {
        job->deferred.Reject(MakeNativeError(env, "wait", job->err, "waitpid"));
      } else {
        Napi::Object result = Napi::Object::New(env);
        const int st = job->status;
        result.Set("exitCode", WIFEXITED(st) ? Napi::Value(Napi::Number::New(env, WEXITSTATUS(st))) : env.Null());
        result.Set("signal", WIFSIGNALED(st) ? Napi::Value(Napi::Number::New(env, WTERMSIG(st))) : env.Null());
        job->deferred.Resolve(result);
      }
    } catch (const Napi::Error& e) {
      job->deferred.Reject(e.Value());
    }
  }
  delete job;
}

using WaitTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, WaitJob, SettleWait>;

pid_t GetPid(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(env, std::string(fn) + ": pid must be a positive integer");
  double d = info[0].As<Napi::Number>().DoubleValue();
  // kill(0) / kill(-1) / waitpid(-1) would hit far more than one container.
  if (!(d >= 1 && d <= 2147483647.0) || d != static_cast<double>(static_cast<pid_t>(d)))
    throw Napi::TypeError::New(env, std::string(fn) + ": pid must be a positive integer");
  return static_cast<pid_t>(d);
}

}  // namespace

Napi::Value Wait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const pid_t pid = GetPid(info, "wait");
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  WaitTsfn tsfn = WaitTsfn::New(env, "berth:wait", 0, 1);
  auto* job = new WaitJob(deferred);
  try {
    std::thread([tsfn, pid, job]() mutable {
      int status = 0;
      pid_t r;
      do {
        r = waitpid(pid, &status, 0);
      } while (r < 0 && errno == EINTR);
      job->status = status;
      job->err = r < 0 ? errno : 0;
      if (tsfn.BlockingCall(job) != napi_ok) delete job;  // environment gone
      tsfn.Release();
    }).detach();
  } catch (const std::system_error& e) {
    delete job;
    tsfn.Release();
    deferred.Reject(MakeNativeError(env, "wait", e.code().value(), "pthread_create"));
  }
  return deferred.Promise();
}

void Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const pid_t pid = GetPid(info, "kill");
  if (info.Length() < 2 || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "kill: signal must be an integer between 0 and 64");
  double sig = info[1].As<Napi::Number>().DoubleValue();
  if (!(sig >= 0 && sig <= 64) || sig != static_cast<double>(static_cast<int>(sig)))
    throw Napi::TypeError::New(env, "kill: signal must be an integer between 0 and 64");
  if (kill(pid, static_cast<int>(sig)) < 0) ThrowNativeError(env, "kill", errno, "kill");
}

}  // namespace berth
