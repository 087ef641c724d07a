// The worker's side of berth-shim. Opening is synchronous (the shim answers at once; a receive
// timeout bounds a wedged one); waiting for the exit blocks, so it runs on its own thread.
#include "shim_js.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <thread>

#include "errors.h"
#include "shim_protocol.h"
#include "unique_fd.h"

namespace berth {
namespace {

constexpr int kOpenTimeoutSec = 5;

int SendMessage(int fd, int32_t kind, const int* fds, int nfds) {
  ShimMessage m;
  std::memset(&m, 0, sizeof m);
  m.kind = kind;
  m.nfds = nfds;
  return SendShimMessage(fd, m, fds, nfds);
}

// One message; its fds (up to kShimMaxFds) into fds/nfds. 0 on EOF, -1 + errno on failure.
ssize_t ReceiveMessage(int fd, ShimMessage* m, int* fds, int* nfds) {
  *nfds = 0;
  std::memset(m, 0, sizeof *m);
  struct iovec iov = {m, sizeof *m};
  struct msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kShimMaxFds)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return n;
  for (struct cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    int count = static_cast<int>((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < count; ++i) {
      int f;
      std::memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof f);
      if (*nfds < kShimMaxFds) fds[(*nfds)++] = f;
      else close(f);
    }
  }
  if (n != static_cast<ssize_t>(sizeof *m)) {
    for (int i = 0; i < *nfds; ++i) close(fds[i]);
    *nfds = 0;
    errno = EPROTO;
    return -1;
  }
  return n;
}

Napi::Value StatusOf(Napi::Env env, const ShimMessage& m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("exitCode", m.exit_code >= 0 ? Napi::Value(Napi::Number::New(env, m.exit_code)) : env.Null());
  o.Set("signal", m.signal >= 0 ? Napi::Value(Napi::Number::New(env, m.signal)) : env.Null());
  return o;
}

int GetFd(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": expected a connection fd");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < 2147483647.0) || d != std::floor(d)) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": expected a connection fd");
  return static_cast<int>(d);
}

struct WaitJob {
  explicit WaitJob(Napi::Promise::Deferred d) : deferred(std::move(d)) {}
  Napi::Promise::Deferred deferred;
  ShimMessage m = {};
  int err = 0;
};

void SettleWait(Napi::Env env, Napi::Function, std::nullptr_t*, WaitJob* job) {
  if (env != nullptr) {
    try {
      if (job->err != 0) job->deferred.Reject(MakeNativeError(env, "shim", job->err, "recvmsg"));
      else job->deferred.Resolve(StatusOf(env, job->m));
    } catch (const Napi::Error& e) {
      job->deferred.Reject(e.Value());
    }
  }
  delete job;
}

using WaitTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, WaitJob, SettleWait>;

}  // namespace

// shimOpen(dir, hold: number[] | null) → {conn, pid, fds, exit: {exitCode, signal} | null}.
// `hold` (the container's output ends) are handed to the shim first, to keep for a later worker.
Napi::Value ShimOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "shimOpen: expected the container's directory");
  const std::string dir = info[0].As<Napi::String>().Utf8Value();
  std::vector<int> hold;
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array a = info[1].As<Napi::Array>();
    if (a.Length() > static_cast<uint32_t>(kShimMaxFds)) throw Napi::TypeError::New(env, "shimOpen: at most 4 fds to hold");
    for (uint32_t i = 0; i < a.Length(); ++i) {
      if (!a.Get(i).IsNumber()) throw Napi::TypeError::New(env, "shimOpen: hold: expected fds");
      hold.push_back(a.Get(i).As<Napi::Number>().Int32Value());
    }
  }
  const std::string sock_path = dir + "/" + kShimSocket;
  unique_fd d(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!d) ThrowNativeError(env, "shim", errno, "open", dir.c_str());
  unique_fd conn(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!conn) ThrowNativeError(env, "shim", errno, "socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", d.get(), kShimSocket);
  int rc;
  do {
    rc = connect(conn.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) ThrowNativeError(env, "shim", errno, "connect", sock_path.c_str());
  struct timeval tv = {kOpenTimeoutSec, 0};
  setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ShimMessage m;
  int fds[kShimMaxFds];
  int nfds = 0;
  if (!hold.empty()) {
    if (SendMessage(conn.get(), kShimHold, hold.data(), static_cast<int>(hold.size())) < 0)
      ThrowNativeError(env, "shim", errno, "sendmsg", sock_path.c_str());
    ssize_t n = ReceiveMessage(conn.get(), &m, fds, &nfds);
    for (int i = 0; i < nfds; ++i) close(fds[i]);
    if (n <= 0 || m.kind != kShimOk) ThrowNativeError(env, "shim", n < 0 ? errno : ECONNRESET, "recvmsg", sock_path.c_str());
  }
  if (SendMessage(conn.get(), kShimAttach, nullptr, 0) < 0) ThrowNativeError(env, "shim", errno, "sendmsg", sock_path.c_str());
  ssize_t n = ReceiveMessage(conn.get(), &m, fds, &nfds);
  if (n <= 0 || m.kind != kShimState) {
    for (int i = 0; i < nfds; ++i) close(fds[i]);
    ThrowNativeError(env, "shim", n < 0 ? errno : ECONNRESET, "recvmsg", sock_path.c_str());
  }
  struct timeval none = {0, 0};
  setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  Napi::Object out = Napi::Object::New(env);
  Napi::Array list = Napi::Array::New(env, nfds);
  for (int i = 0; i < nfds; ++i) list.Set(static_cast<uint32_t>(i), fds[i]);
  out.Set("fds", list);
  out.Set("pid", m.pid);
  out.Set("exit", m.exited ? StatusOf(env, m) : env.Null());
  out.Set("conn", conn.release());
  return out;
}

// shimWait(conn) → Promise<{exitCode, signal}>: the container's exit, once the shim reaped it.
Napi::Value ShimWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int conn = GetFd(info, 0, "shimWait");
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  WaitTsfn tsfn = WaitTsfn::New(env, "berth:shimWait", 0, 1);
  auto* job = new WaitJob(deferred);
  try {
    std::thread([tsfn, conn, job]() mutable {
      for (;;) {
        int fds[kShimMaxFds];
        int nfds = 0;
        ssize_t n = ReceiveMessage(conn, &job->m, fds, &nfds);
        for (int i = 0; i < nfds; ++i) close(fds[i]);
        if (n < 0) job->err = errno;
        else if (n == 0) job->err = ECONNRESET;  // the shim is gone without telling
        else if (job->m.kind != kShimExit) continue;
        break;
      }
      if (tsfn.BlockingCall(job) != napi_ok) delete job;
      tsfn.Release();
    }).detach();
  } catch (const std::system_error& e) {
    delete job;
    tsfn.Release();
    deferred.Reject(MakeNativeError(env, "shim", e.code().value(), "pthread_create"));
  }
  return deferred.Promise();
}

// shimRelease(conn): the exit is recorded; the shim goes, the connection is closed.
void ShimRelease(const Napi::CallbackInfo& info) {
  const int conn = GetFd(info, 0, "shimRelease");
  SendMessage(conn, kShimRelease, nullptr, 0);
  close(conn);
}

}  // namespace berth
