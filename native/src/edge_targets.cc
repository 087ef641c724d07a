// The targets of an event loop's exchanges (edge_loop_parts.h): its pool of keep-alive upstream
// connections (one per loop: no lock on the request path), new upstream connections, and each
// client's connection to the Node edge.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "edge_loop_parts.h"
#include "edge_net.h"

namespace berth::edge {
namespace {

constexpr size_t kMaxIdlePerUpstream = 64;
constexpr auto kPoolIdle = std::chrono::seconds(50);
constexpr auto kFreshIdle = std::chrono::milliseconds(500);

std::atomic<uint64_t> g_pool_generation{0};

// A nonblocking connect to ip:port (-1 when it failed at once); *pending while under way.
int StartConnect(const std::string& ip, int port, bool* pending) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  *pending = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    if (errno != EINPROGRESS) {
      close(fd);
      return -1;
    }
    *pending = true;
  } else {
    NoDelay(fd);
  }
  return fd;
}

}  // namespace

bool QuietIdle(int fd) {
  char b;
  ssize_t r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void ClearLoopPools() { g_pool_generation++; }

Target* Loop::TakeUpstream(const std::string& ip, int port, bool* reused) {
  uint64_t generation = g_pool_generation.load(std::memory_order_relaxed);
  if (generation != pool_generation) {
    for (auto& [k, v] : pool)
      for (Target* t : v) CloseTarget(t);
    pool.clear();
    pool_generation = generation;
  }
  std::string key = ip + ":" + std::to_string(port);
  auto it = pool.find(key);
  while (it != pool.end() && !it->second.empty()) {
    Target* t = it->second.back();
    it->second.pop_back();
    auto idle = Clock::now() - t->since;
    if (idle > kPoolIdle) {
      CloseTarget(t);
      continue;
    }
    // Given back moments ago: an upstream rarely closes a connection that soon, and when it does
    // the request fails unanswered and is sent again on a new one (edge_conn.cc EndExchange); a
    // check here would cost every request a syscall.
    if (idle >= kFreshIdle && !QuietIdle(t->fd)) {
      CloseTarget(t);
      continue;
    }
    *reused = true;
    return t;
  }
  *reused = false;
  bool pending = false;
  int fd = StartConnect(ip, port, &pending);
  if (fd < 0) return nullptr;
  Target* t = new Target();
  t->fd = fd;
  t->pool_key = key;
  t->generation = generation;
  t->connecting = pending;
  t->writable = !pending;
  if (!Watch(fd, t)) {
    close(fd);
    delete t;
    return nullptr;
  }
  return t;
}

void Loop::GiveBack(Target* t) {
  t->owner = nullptr;
  auto& v = pool[t->pool_key];
  // Made before a switch of upstreams (ClearLoopPools), or ended by the upstream: not used again.
  if (t->hup || t->generation != g_pool_generation.load(std::memory_order_relaxed) || v.size() >= kMaxIdlePerUpstream) {
    CloseTarget(t);
    return;
  }
  t->since = Clock::now();
  v.push_back(t);
}

Target* Loop::ConnectToNode(const std::string& client_ip) {
  // A unix socket to a listening Node: connected at once (the same blocking connect as before).
  unique_fd fd = ConnectNode(config->node_path, client_ip, kUpstreamIdleMs);
  if (!fd || !SetBlocking(fd.get(), false)) return nullptr;
  Target* t = new Target();
  t->fd = fd.release();
  if (!Watch(t->fd, t)) {
    close(t->fd);
    delete t;
    return nullptr;
  }
  return t;
}

void Loop::CloseTarget(Target* t) {
  if (t->dead) return;
  close(t->fd);
  t->fd = -1;
  t->dead = true;
  t->owner = nullptr;
  dead_targets.push_back(t);
}

void Loop::PooledEvent(Target* t) {
  // Pooled and idle: bytes or an end from the upstream mean it cannot serve another request
  // (unless the event is an old one for bytes already read).
  if (QuietIdle(t->fd)) {
    t->readable = false;
    return;
  }
  auto& v = pool[t->pool_key];
  for (size_t i = 0; i < v.size(); i++)
    if (v[i] == t) {
      v[i] = v.back();
      v.pop_back();
      break;
    }
  CloseTarget(t);
}

void Loop::SweepPool(Clock::time_point now) {
  for (auto it = pool.begin(); it != pool.end();) {
    auto& v = it->second;
    for (size_t i = 0; i < v.size();) {
      if (now - v[i]->since > kPoolIdle) {
        CloseTarget(v[i]);
        v[i] = v.back();
        v.pop_back();
      } else {
        i++;
      }
    }
    it = v.empty() ? pool.erase(it) : std::next(it);
  }
}

}  // namespace berth::edge
