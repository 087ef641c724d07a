#include "pty_js.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "errors.h"

namespace berth {

void ResizePty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "resizePty: expected (fd, cols, rows)");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int cols = info[1].As<Napi::Number>().Int32Value();
  int rows = info[2].As<Napi::Number>().Int32Value();
  if (fd < 0 || cols < 1 || cols > 65535 || rows < 1 || rows > 65535)
    throw Napi::TypeError::New(env, "resizePty: fd >= 0, cols and rows 1..65535");
  struct winsize ws = {static_cast<unsigned short>(rows), static_cast<unsigned short>(cols), 0, 0};
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) ThrowNativeError(env, "tty", errno, "ioctl", "TIOCSWINSZ");
}

// The master's fd is blocking (libuv leaves a pty master so): each read comes only after poll
// says there is input (poll also pushes what the other side wrote into the line discipline), so
// a terminal someone opened again cannot hold the caller. Bounded: at most 16 MiB per call.
Napi::Value DrainPty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "drainPty: expected an fd");
  const int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0) throw Napi::TypeError::New(env, "drainPty: expected an fd");
  constexpr size_t kMax = 16u << 20;
  std::vector<char> out;
  char buf[16384];
  while (out.size() < kMax) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || !(p.revents & POLLIN)) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EIO: empty and the other side closed
    out.insert(out.end(), buf, buf + n);
  }
  return Napi::Buffer<char>::Copy(env, out.data(), out.size());
}

}  // namespace berth
