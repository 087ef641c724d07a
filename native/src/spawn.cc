// JS side of container creation and exec: the spec read (spawn_spec.cc), the clone on
// the JS thread (container.cc), and a non-blocking wait (uv_poll on the report channel)
// for the setup outcome.
#include "spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "caps.h"
#include "cgroups.h"
#include "child.h"
#include "config.h"
#include "container.h"
#include "errors.h"
#include "spawn_spec.h"
#include "unique_fd.h"

namespace berth {
namespace {

Napi::Value ErrorValue(Napi::Env env, const Error& e) {
  if (e.err == 0) {
    Napi::Object err = Napi::Error::New(env, e.stage + ": " + e.message).Value();
    err.Set("stage", e.stage);
    return err;
  }
  return MakeNativeError(env, e.stage.c_str(), e.err, e.syscall.c_str(), e.path.empty() ? nullptr : e.path.c_str());
}

// ---------------------------------------------------------------------------
// Waiting for the outcome without blocking the JS thread.

struct LaunchOp {
  LaunchOp(Napi::Env e, Napi::Promise::Deferred d, bool exec)
      : env(e), deferred(std::move(d)), context(e, "berth:spawn"), is_exec(exec) {}

  uv_poll_t poll;
  Napi::Env env;
  Napi::Promise::Deferred deferred;
  Napi::AsyncContext context;  // lets promise reactions run when we settle from a uv callback
  bool is_exec;
  bool shim = false;  // the container is a berth-shim's child, not ours: never reaped here
  bool tty = false;
  bool intermediate_reaped = false;
  pid_t target = -1;  // exec: the process that execs
  Launched launched;
  unique_fd pty;
};

void Fail(LaunchOp* op, Napi::Value error) {
  Launched& l = op->launched;
  if (op->is_exec) {
    if (!op->intermediate_reaped) Reap(l.pid);
    if (op->target > 0) Reap(op->target);
  } else {
    if (!op->shim) Reap(l.pid);  // it reported and is calling _exit(127)
    RemoveCreated(l.cgroup_created);
  }
  l.stdin_w.reset();
  l.stdout_r.reset();
  l.stderr_r.reset();
  op->pty.reset();
  op->deferred.Reject(error);
}

void Succeed(LaunchOp* op) {
  Napi::Env env = op->env;
  Launched& l = op->launched;
  if (op->is_exec && op->target <= 0) {
    Fail(op, MakeNativeError(env, "exec", EPROTO, "clone"));
    return;
  }
  if (op->tty && !op->pty) {
    Fail(op, MakeNativeError(env, "tty", EPROTO, "recvmsg"));
    return;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", op->is_exec ? op->target : l.pid);
  if (op->tty) {
    result.Set("pty", op->pty.release());
  } else {
    result.Set("stdout", l.stdout_r.release());
    result.Set("stderr", l.stderr_r.release());
    if (l.stdin_w) result.Set("stdin", l.stdin_w.release());
  }
  op->deferred.Resolve(result);
}

void Close(LaunchOp* op) {
  uv_close(reinterpret_cast<uv_handle_t*>(&op->poll), [](uv_handle_t* h) { delete static_cast<LaunchOp*>(h->data); });
  op->launched.report.reset();  // after uv_close: the fd is no longer registered with the loop
}

void OnReport(uv_poll_t* handle, int /*status*/, int /*events*/) {
  auto* op = static_cast<LaunchOp*>(handle->data);
  Napi::HandleScope handle_scope(op->env);
  for (;;) {
    ChildReport r;
    int fd = -1;
    ssize_t n = ReadReport(op->launched.report.get(), &r, &fd);
    int read_errno = errno;
    if (n < 0 && (read_errno == EAGAIN || read_errno == EWOULDBLOCK)) return;  // more to come
    if (n > 0 && r.kind == kReportPty) {
      op->pty.reset(fd);
      continue;
    }
    if (fd >= 0) close(fd);
    if (n > 0 && r.kind == kReportPid) {
      op->target = r.value;
      Reap(op->launched.pid);  // the intermediate exits right after sending this
      op->intermediate_reaped = true;
      continue;
    }
    if (n > 0 && r.kind == kReportReady) continue;
    if (op->is_exec && op->target <= 0 && n > 0) {
      // The execing process may report before the intermediate sent its pid: once the
      // intermediate is gone, its message is queued, so the process can be reaped too.
      Reap(op->launched.pid);
      op->intermediate_reaped = true;
      ChildReport more;
      int more_fd = -1;
      while (ReadReport(op->launched.report.get(), &more, &more_fd) > 0) {
        if (more_fd >= 0) close(more_fd);
        if (more.kind == kReportPid) op->target = more.value;
      }
    }

    Close(op);
    Napi::CallbackScope callback_scope(op->env, op->context);
    try {
      if (n == 0) {
        Succeed(op);  // EOF without an error: execve succeeded
      } else if (n == static_cast<ssize_t>(sizeof r) && r.kind == kReportError) {
        Fail(op, MakeNativeError(op->env, StageName(r.stage), r.err, r.syscall, r.path));
      } else {
        Fail(op, MakeNativeError(op->env, "clone", n < 0 ? read_errno : EPROTO, "recvmsg"));
      }
    } catch (const Napi::Error& e) {
      op->deferred.Reject(e.Value());
    }
    return;
  }
}

Napi::Value Watch(Napi::Env env, LaunchOp* op) {
  Napi::Promise promise = op->deferred.Promise();
  Launched& l = op->launched;
  op->poll.data = op;
  uv_loop_t* loop = nullptr;
  int rc = fcntl(l.report.get(), F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
  if (rc == 0) rc = napi_get_uv_event_loop(env, &loop) == napi_ok ? 0 : UV_EINVAL;
  if (rc == 0) rc = uv_poll_init(loop, &op->poll, l.report.get());
  if (rc == 0) {
    rc = uv_poll_start(&op->poll, UV_READABLE, OnReport);
    if (rc == 0) return promise;
    // Cannot watch the child: do not leave it running unobserved.
    kill(l.pid, SIGKILL);
    Fail(op, MakeNativeError(env, "clone", -rc, "uv_poll_start"));
    Close(op);
    return promise;
  }
  kill(l.pid, SIGKILL);
  Fail(op, MakeNativeError(env, "clone", -rc, "uv_poll_start"));
  delete op;
  return promise;
}

}  // namespace

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ContainerConfig config = ReadRunSpec(env, info[0]);
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  Error e;
  std::shared_ptr<Prepared> plan = Prepare(config, &e);
  auto* op = new LaunchOp(env, deferred, false);
  op->tty = config.stdio == Stdio::kTty;
  op->shim = !config.shim_dir.empty();
  if (!plan || Launch(*plan, &op->launched, &e) < 0) {
    delete op;
    deferred.Reject(ErrorValue(env, e));
    return deferred.Promise();
  }
  return Watch(env, op);
}

Napi::Value Exec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "exec: pid must be a positive integer");
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 1 && d <= 2147483647.0) || d != std::floor(d))
    throw Napi::TypeError::New(env, "exec: pid must be a positive integer");
  ExecConfig config = ReadExecSpec(env, static_cast<pid_t>(d), info[1]);
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  Error e;
  std::shared_ptr<PreparedExec> plan = PrepareExec(config, &e);
  auto* op = new LaunchOp(env, deferred, true);
  op->tty = config.stdio == Stdio::kTty;
  if (!plan || LaunchExec(*plan, &op->launched, &e) < 0) {
    delete op;
    deferred.Reject(ErrorValue(env, e));
    return deferred.Promise();
  }
  return Watch(env, op);
}

}  // namespace berth
