#include "edge_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace berth::edge {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kConnectMs = 5'000;  // as proxy.ts CONNECT_TIMEOUT_MS
constexpr size_t kMaxIdlePerUpstream = 64;
constexpr auto kPoolIdle = std::chrono::seconds(50);
constexpr auto kFreshIdle = std::chrono::milliseconds(500);

}  // namespace

// ---- sockets -----------------------------------------------------------------------------

bool WriteAll(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}
bool WriteAll(int fd, const std::string& s) { return WriteAll(fd, s.data(), s.size()); }


Read Receive(int fd, std::string* buf) {
  char tmp[65536];
  ssize_t n;
  do n = recv(fd, tmp, sizeof tmp, 0);
  while (n < 0 && errno == EINTR);
  if (n == 0) return Read::kEof;
  // EAGAIN: the receive timeout passed.
  if (n < 0) return Read::kError;
  buf->append(tmp, static_cast<size_t>(n));
  return Read::kData;
}

void SetReceiveTimeout(int fd, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// Appends what `fd` has (waiting up to timeout_ms for it).
Read ReadMore(int fd, std::string* buf, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int r;
  do r = poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r <= 0) return Read::kError;
  return Receive(fd, buf);
}

void NoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

unique_fd ConnectTcp(const std::string& ip, int port, int receive_timeout_ms) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) return unique_fd();
  unique_fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fd;
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    if (errno != EINPROGRESS) return unique_fd();
    pollfd p{fd.get(), POLLOUT, 0};
    int r;
    do r = poll(&p, 1, kConnectMs);
    while (r < 0 && errno == EINTR);
    int err = 0;
    socklen_t len = sizeof err;
    if (r <= 0 || getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) return unique_fd();
  }
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  NoDelay(fd.get());
  SetReceiveTimeout(fd.get(), receive_timeout_ms);
  return fd;
}

// A connection to the Node edge for one client, announced with the client's address.
unique_fd ConnectNode(const std::string& path, const std::string& client_ip, int receive_timeout_ms) {
  unique_fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fd;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return unique_fd();
  SetReceiveTimeout(fd.get(), receive_timeout_ms);
  if (!WriteAll(fd.get(), client_ip + "\n")) return unique_fd();
  return fd;
}

// ---- upstream keep-alive pool --------------------------------------------------------------

namespace {
struct Idle {
  int fd;
  Clock::time_point since;
};
std::mutex g_pool_mu;
std::unordered_map<std::string, std::vector<Idle>> g_pool;
std::string PoolKey(const std::string& ip, int port) { return ip + ":" + std::to_string(port); }
}  // namespace

// An idle connection to the upstream that is still open, or a new one; `reused` says which.
unique_fd TakeUpstream(const std::string& ip, int port, int receive_timeout_ms, bool* reused) {
  const std::string k = PoolKey(ip, port);
  while (true) {
    Idle c{-1, {}};
    {
      std::lock_guard<std::mutex> l(g_pool_mu);
      auto it = g_pool.find(k);
      if (it == g_pool.end() || it->second.empty()) break;
      c = it->second.back();
      it->second.pop_back();
    }
    unique_fd fd(c.fd);
    auto idle = Clock::now() - c.since;
    if (idle > kPoolIdle) continue;
    // Given back moments ago: an upstream rarely closes a connection that soon, and when it does
    // the request fails unanswered and is sent again on a new one (edge_fast_main.cc Serve); a
    // check here would cost every request a syscall.
    if (idle < kFreshIdle) {
      *reused = true;
      return fd;
    }
    // Closed by the upstream while idle (EOF or stray bytes waiting): not reusable.
    char b;
    ssize_t r = recv(fd.get(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      *reused = true;
      return fd;
    }
  }
  *reused = false;
  return ConnectTcp(ip, port, receive_timeout_ms);
}

void GiveBack(const std::string& ip, int port, unique_fd fd) {
  std::lock_guard<std::mutex> l(g_pool_mu);
  auto& v = g_pool[PoolKey(ip, port)];
  if (v.size() < kMaxIdlePerUpstream) v.push_back({fd.release(), Clock::now()});
}

void SweepPool() {
  std::lock_guard<std::mutex> l(g_pool_mu);
  for (auto it = g_pool.begin(); it != g_pool.end();) {
    auto& v = it->second;
    for (size_t i = 0; i < v.size();) {
      if (Clock::now() - v[i].since > kPoolIdle) {
        close(v[i].fd);
        v[i] = v.back();
        v.pop_back();
      } else {
        i++;
      }
    }
    it = v.empty() ? g_pool.erase(it) : std::next(it);
  }
}

void ClearPool() {
  std::lock_guard<std::mutex> l(g_pool_mu);
  for (auto& [k, v] : g_pool)
    for (Idle& c : v) close(c.fd);
  g_pool.clear();
}


// Bytes both ways between the client and the Node edge until both sides are done.
void Tunnel(int client, int node, const std::string& pending) {
  if (!pending.empty() && !WriteAll(node, pending)) return;
  pollfd p[2] = {{client, POLLIN, 0}, {node, POLLIN, 0}};
  bool open[2] = {true, true};
  char buf[65536];
  while (open[0] || open[1]) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; i++) {
      if (!open[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n < 0) return;
        open[i] = false;
        p[i].fd = -1;
        shutdown(i == 0 ? node : client, SHUT_WR);
        continue;
      }
      if (!WriteAll(i == 0 ? node : client, buf, static_cast<size_t>(n))) return;
    }
  }
}

std::string PeerIp(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = {0};
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return "";
  if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, ip, sizeof ip);
  else if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, ip, sizeof ip);
  return ip;
}

}  // namespace berth::edge
