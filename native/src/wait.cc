// Reaping and signalling containers. waitpid blocks, so each wait gets its own
// thread (thread_job.h), which settles the promise.
#include "wait.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>

#include "errors.h"
#include "thread_job.h"

namespace berth {
namespace {

struct WaitJob {
  explicit WaitJob(Napi::Promise::Deferred d) : deferred(std::move(d)) {}
  Napi::Promise::Deferred deferred;
  pid_t pid = 0;
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
  auto* job = new WaitJob(Napi::Promise::Deferred::New(env));
  job->pid = pid;
  return SettleFromThread<WaitJob, SettleWait>(env, "berth:wait", "wait", job, [](WaitJob* j) {
    pid_t r;
    do {
      r = waitpid(j->pid, &j->status, 0);
    } while (r < 0 && errno == EINTR);
    j->err = r < 0 ? errno : 0;
  });
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
