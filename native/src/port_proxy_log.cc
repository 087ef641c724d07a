#include "port_proxy_log.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

namespace berth::portproxy {
namespace {

constexpr int64_t kEveryMs = 1000;
constexpr int kWarn = 40;  // pino's level number for warn

std::string container;

int64_t WallMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// The values are ids, numeric addresses and errno names: quoting is all they need.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) >= 0x20) out += ch;
  }
  return out + "\"";
}

}  // namespace

void SetLogContainer(const std::string& id) { container = id; }

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void LogConnectFailed(ConnectLog* log, int err) {
  int64_t now = NowMs();
  if (log->last_ms != INT64_MIN && now - log->last_ms < kEveryMs) {
    log->suppressed++;
    return;
  }
  const char* name = strerrorname_np(err);
  std::string code = name ? name : "E" + std::to_string(err);
  std::string line = "{\"level\":" + std::to_string(kWarn) + ",\"time\":" + std::to_string(WallMs()) + ",\"pid\":" + std::to_string(getpid()) +
                     ",\"name\":\"berth-port-proxy\",\"container\":" + Quote(container) + ",\"published\":" + Quote(log->published) + ",\"target\":" + Quote(log->target) +
                     ",\"errno\":" + Quote(code) + ",\"suppressed\":" + std::to_string(log->suppressed) + ",\"msg\":" +
                     Quote(std::string(err == ETIMEDOUT ? "no answer from the container within the connect timeout" : "connect to the container failed") +
                           ": the client's connection was closed") +
                     "}\n";
  log->last_ms = now;
  log->suppressed = 0;
  // One write of a whole line (O_APPEND): lines of several proxies sharing the file do not mix.
  // A log that cannot be written must not stop the relay.
  ssize_t w = write(2, line.data(), line.size());
  (void)w;
}

}  // namespace berth::portproxy
