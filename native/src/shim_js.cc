// The worker's side of berth-shim. Opening and waiting block (a receive timeout bounds a wedged
// shim's answer to the open), so each runs on its own thread (thread_job.h).
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
#include <vector>

#include "errors.h"
#include "shim_protocol.h"
#include "thread_job.h"
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
  int conn = -1;
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

// What opening a shim gave, or where it failed (errno, syscall): made off the JS thread.
struct OpenJob {
  explicit OpenJob(Napi::Promise::Deferred d) : deferred(std::move(d)) {}
  Napi::Promise::Deferred deferred;
  std::string dir;
  std::vector<int> hold;
  int err = 0;
  const char* syscall = "";
  std::string where;  // the path the failed call was about (none for socket())
  int conn = -1;
  ShimMessage m = {};
  int fds[kShimMaxFds] = {};
  int nfds = 0;
};

// Connects, hands `hold` over, attaches: blocks up to kOpenTimeoutSec per answer (a wedged shim).
void OpenBlocking(OpenJob* job) {
  const std::string sock_path = job->dir + "/" + kShimSocket;
  auto fail = [job](int err, const char* syscall, const std::string& where) {
    job->err = err;
    job->syscall = syscall;
    job->where = where;
  };
  unique_fd d(open(job->dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!d) return fail(errno, "open", job->dir);
  unique_fd conn(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!conn) return fail(errno, "socket", "");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", d.get(), kShimSocket);
  int rc;
  do {
    rc = connect(conn.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return fail(errno, "connect", sock_path);
  struct timeval tv = {kOpenTimeoutSec, 0};
  setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!job->hold.empty()) {
    if (SendMessage(conn.get(), kShimHold, job->hold.data(), static_cast<int>(job->hold.size())) < 0) return fail(errno, "sendmsg", sock_path);
    ShimMessage ok;
    int fds[kShimMaxFds];
    int nfds = 0;
    ssize_t n = ReceiveMessage(conn.get(), &ok, fds, &nfds);
    int err = errno;
    for (int i = 0; i < nfds; ++i) close(fds[i]);
    if (n <= 0 || ok.kind != kShimOk) return fail(n < 0 ? err : ECONNRESET, "recvmsg", sock_path);
  }
  if (SendMessage(conn.get(), kShimAttach, nullptr, 0) < 0) return fail(errno, "sendmsg", sock_path);
  ssize_t n = ReceiveMessage(conn.get(), &job->m, job->fds, &job->nfds);
  int err = errno;
  if (n <= 0 || job->m.kind != kShimState) {
    for (int i = 0; i < job->nfds; ++i) close(job->fds[i]);
    job->nfds = 0;
    return fail(n < 0 ? err : ECONNRESET, "recvmsg", sock_path);
  }
  struct timeval none = {0, 0};
  setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  job->conn = conn.release();
}

// What was opened but reached no caller (the environment is gone, or the answer failed).
void CloseOpened(OpenJob* job) {
  for (int i = 0; i < job->nfds; ++i) close(job->fds[i]);
  if (job->conn >= 0) close(job->conn);
  job->nfds = 0;
  job->conn = -1;
}

void SettleOpen(Napi::Env env, Napi::Function, std::nullptr_t*, OpenJob* job) {
  if (env == nullptr) {
    CloseOpened(job);
  } else {
    try {
      if (job->err != 0) {
        job->deferred.Reject(MakeNativeError(env, "shim", job->err, job->syscall, job->where.empty() ? nullptr : job->where.c_str()));
      } else {
        Napi::Object out = Napi::Object::New(env);
        Napi::Array list = Napi::Array::New(env, job->nfds);
        for (int i = 0; i < job->nfds; ++i) list.Set(static_cast<uint32_t>(i), job->fds[i]);
        out.Set("fds", list);
        out.Set("pid", job->m.pid);
        out.Set("exit", job->m.exited ? StatusOf(env, job->m) : env.Null());
        out.Set("conn", job->conn);
        job->deferred.Resolve(out);
      }
    } catch (const Napi::Error& e) {
      if (job->err == 0) CloseOpened(job);
      try {
        job->deferred.Reject(e.Value());
      } catch (const Napi::Error&) {
        // Nothing left to tell.
      }
    }
  }
  delete job;
}

}  // namespace

// shimOpen(dir, hold: number[] | null) → Promise<{conn, pid, fds, exit: {exitCode, signal} | null}>.
// `hold` (the container's output ends) are handed to the shim first, to keep for a later worker.
// On its own thread: a slow shim (up to 5 s per answer) must not stop the worker's event loop.
Napi::Value ShimOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "shimOpen: expected the container's directory");
  std::vector<int> hold;
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array a = info[1].As<Napi::Array>();
    if (a.Length() > static_cast<uint32_t>(kShimMaxFds)) throw Napi::TypeError::New(env, "shimOpen: at most 4 fds to hold");
    for (uint32_t i = 0; i < a.Length(); ++i) {
      if (!a.Get(i).IsNumber()) throw Napi::TypeError::New(env, "shimOpen: hold: expected fds");
      hold.push_back(a.Get(i).As<Napi::Number>().Int32Value());
    }
  }
  auto* job = new OpenJob(Napi::Promise::Deferred::New(env));
  job->dir = info[0].As<Napi::String>().Utf8Value();
  job->hold = std::move(hold);
  return SettleFromThread<OpenJob, SettleOpen>(env, "berth:shimOpen", "shim", job, OpenBlocking);
}

// shimWait(conn) → Promise<{exitCode, signal}>: the container's exit, once the shim reaped it.
Napi::Value ShimWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int conn = GetFd(info, 0, "shimWait");
  auto* job = new WaitJob(Napi::Promise::Deferred::New(env));
  job->conn = conn;
  return SettleFromThread<WaitJob, SettleWait>(env, "berth:shimWait", "shim", job, [](WaitJob* j) {
    for (;;) {
      int fds[kShimMaxFds];
      int nfds = 0;
      ssize_t n = ReceiveMessage(j->conn, &j->m, fds, &nfds);
      for (int i = 0; i < nfds; ++i) close(fds[i]);
      if (n < 0) j->err = errno;
      else if (n == 0) j->err = ECONNRESET;  // the shim is gone without telling
      else if (j->m.kind != kShimExit) continue;
      break;
    }
  });
}

// shimRelease(conn): the exit is recorded; the shim goes, the connection is closed.
void ShimRelease(const Napi::CallbackInfo& info) {
  const int conn = GetFd(info, 0, "shimRelease");
  SendMessage(conn, kShimRelease, nullptr, 0);
  close(conn);
}

}  // namespace berth
