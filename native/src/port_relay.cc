#include "port_relay.h"

#include "port_loop.h"
#include "port_proxy_log.h"
#include "port_udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <unordered_set>

namespace berth::portproxy {
namespace {

constexpr size_t kBuf = 64 * 1024;
// As long as a client waits for the container to answer its connect (Docker's proxy leaves it to
// the kernel, minutes for an address that does not answer): then the client's connection closes.
constexpr int64_t kConnectTimeoutMs = 10'000;

// One direction of a TCP connection: bytes read from `from` waiting to be written to the other side.
struct Pipe {
  char* buf = nullptr;
  size_t off = 0, len = 0;
  bool eof = false;  // `from` sent its FIN
  bool shut = false;  // and it was passed on (shutdown(SHUT_WR) of the other side)
};

struct Conn {
  Listener* l = nullptr;
  int fd[2] = {-1, -1};
  Handle h[2];
  Pipe pipe[2];  // pipe[i]: from side i to side 1-i
  bool connecting = true;
  bool dead = false;
  bool queued = false;  // in the connect deadlines: freed by whichever of the queue and Reap comes last
  bool reaped = false;
};

class Loop {
 public:
  explicit Loop(int signal_fd) : sig_(signal_fd) {}

  int Run(std::vector<Listener>& listeners) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    connect_timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    // Kept to be closed when accept hits the fd limit: accepting and closing at once keeps a
    // level-triggered listener from spinning.
    spare_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (ep_ < 0 || connect_timer_ < 0 || !udp_.Init(ep_)) return 1;
    Add(sig_, EPOLLIN, &sig_h_);
    Add(connect_timer_, EPOLLIN, &connect_timer_h_);
    tcp_.reserve(listeners.size());
    for (auto& l : listeners) {
      if (l.udp) {
        udp_.Listen(&l);
      } else {
        tcp_.push_back({Kind::kTcpListener, &l, 0});
      }
    }
    for (auto& h : tcp_) Add(static_cast<Listener*>(h.owner)->fd, EPOLLIN, &h);

    epoll_event ev[64];
    while (!stop_) {
      int n = epoll_wait(ep_, ev, 64, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        return 1;
      }
      for (int i = 0; i < n && !stop_; i++) Dispatch(static_cast<Handle*>(ev[i].data.ptr), ev[i].events);
      Reap();
    }
    // Closing: the listeners first, so the ports are free as soon as the process goes.
    for (auto& l : listeners) close(l.fd);
    for (Conn* c : conns_) Kill(c);
    udp_.CloseAll();
    Reap();
    return 0;
  }

 private:
  void Add(int fd, uint32_t events, Handle* h) { EpollAdd(ep_, fd, events, h); }

  void Dispatch(Handle* h, uint32_t events) {
    switch (h->kind) {
      case Kind::kSignal: {
        signalfd_siginfo si;
        while (read(sig_, &si, sizeof si) == sizeof si) stop_ = true;
        break;
      }
      case Kind::kConnectTimer: ConnectDeadlines(); break;
      case Kind::kTcpListener: Accept(static_cast<Listener*>(h->owner)); break;
      case Kind::kUdpListener:
      case Kind::kUdpPeer:
      case Kind::kUdpSweep: udp_.Event(h); break;
      case Kind::kConnSide: ConnEvent(static_cast<Conn*>(h->owner), h->side, events); break;
    }
  }

  // ---- TCP ----------------------------------------------------------------------------------

  void Accept(Listener* l) {
    for (;;) {
      int fd = accept4(l->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if ((errno == EMFILE || errno == ENFILE) && spare_ >= 0) {
          close(spare_);
          int drop = accept(l->fd, nullptr, nullptr);
          if (drop >= 0) close(drop);
          spare_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
          continue;
        }
        return;  // EAGAIN, or a connection that went before it was accepted
      }
      int up = socket(l->target.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (up < 0) {
        LogConnectFailed(&l->log, errno);
        close(fd);
        continue;
      }
      auto* c = new Conn;
      c->l = l;
      c->fd[0] = fd;
      c->fd[1] = up;
      for (int s = 0; s < 2; s++) c->h[s] = {Kind::kConnSide, c, s};
      conns_.insert(c);
      bool now = connect(up, reinterpret_cast<const sockaddr*>(&l->target.sa), l->target.len) == 0;
      int err = errno;
      // Edge-triggered (after connect, so a fresh socket's hang-up state is never seen): Pump
      // moves everything it can at each event, so a side with nothing to do (or that hung up)
      // does not wake the loop again and again.
      Add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->h[0]);
      Add(up, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->h[1]);
      if (now) {
        Connected(c);
      } else if (err != EINPROGRESS) {
        Failed(c, err);
      } else {
        int64_t at = NowMs() + kConnectTimeoutMs;
        c->queued = true;
        if (deadlines_.empty()) ArmConnectTimer(at);
        deadlines_.push_back({at, c});
      }
    }
  }

  // The connect toward the container failed: the client's connection closes, and the log says why.
  void Failed(Conn* c, int err) {
    LogConnectFailed(&c->l->log, err);
    Kill(c);
  }

  // Every connect has the same timeout, so the deadlines queue in the order they were set.
  void ArmConnectTimer(int64_t at_ms) {
    itimerspec t{};
    t.it_value.tv_sec = at_ms / 1000;
    t.it_value.tv_nsec = (at_ms % 1000) * 1000000;
    timerfd_settime(connect_timer_, TFD_TIMER_ABSTIME, &t, nullptr);
  }

  void ConnectDeadlines() {
    uint64_t ticks;
    while (read(connect_timer_, &ticks, sizeof ticks) == sizeof ticks) {
    }
    int64_t now = NowMs();
    while (!deadlines_.empty() && deadlines_.front().first <= now) {
      Conn* c = deadlines_.front().second;
      deadlines_.pop_front();
      c->queued = false;
      if (c->dead) {
        if (c->reaped) delete c;  // Reap left it to the queue (else Reap frees it)
      } else if (c->connecting) {
        Failed(c, ETIMEDOUT);
      }
    }
    if (!deadlines_.empty()) ArmConnectTimer(deadlines_.front().first);
  }

  void Connected(Conn* c) {
    c->connecting = false;
    for (auto& p : c->pipe) p.buf = static_cast<char*>(malloc(kBuf));
    if (!c->pipe[0].buf || !c->pipe[1].buf) return Kill(c);
    Pump(c);  // what the client sent meanwhile
  }

  void ConnEvent(Conn* c, int side, uint32_t events) {
    if (c->dead) return;
    if (c->connecting) {
      // The client stays unread until the container answers, unless it goes meanwhile.
      if (side == 0) return (events & (EPOLLERR | EPOLLHUP)) ? Kill(c) : void();
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
      if (err != 0) return Failed(c, err);
      return Connected(c);
    }
    Pump(c);  // errors and hang-ups show in its reads and writes
  }

  // Moves what can be moved in both directions, passes a FIN on once everything before it was
  // written (half-close: the other direction carries on), and ends the connection when both
  // directions are done or a side failed (reset).
  void Pump(Conn* c) {
    for (int from = 0; from < 2; from++) {
      Pipe& p = c->pipe[from];
      int in = c->fd[from], out = c->fd[1 - from];
      for (;;) {
        if (p.len == 0 && !p.eof) {
          ssize_t r = read(in, p.buf, kBuf);
          if (r > 0) {
            p.off = 0;
            p.len = static_cast<size_t>(r);
          } else if (r == 0) {
            p.eof = true;
          } else if (errno == EINTR) {
            continue;
          } else if (errno == EAGAIN) {
            break;
          } else {
            return Kill(c);
          }
        }
        if (p.len > 0) {
          ssize_t w = send(out, p.buf + p.off, p.len, MSG_NOSIGNAL);
          if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            return Kill(c);
          }
          p.off += static_cast<size_t>(w);
          p.len -= static_cast<size_t>(w);
          if (p.len > 0) break;
          continue;
        }
        if (p.eof && !p.shut) {
          shutdown(out, SHUT_WR);
          p.shut = true;
        }
        break;
      }
    }
    if (c->pipe[0].shut && c->pipe[1].shut) Kill(c);
  }

  void Kill(Conn* c) {
    if (c->dead) return;
    c->dead = true;
    for (int s = 0; s < 2; s++) {
      close(c->fd[s]);  // closing removes it from the epoll set
      free(c->pipe[s].buf);
      c->pipe[s].buf = nullptr;
    }
    grave_.push_back(c);
  }

  // Freed after a batch of events: a later event of the same batch may still point at them.
  void Reap() {
    for (Conn* c : grave_) {
      conns_.erase(c);
      c->reaped = true;
      if (!c->queued) delete c;
    }
    grave_.clear();
    udp_.Reap();
  }

  int sig_, ep_ = -1, connect_timer_ = -1, spare_ = -1;
  bool stop_ = false;
  Handle sig_h_{Kind::kSignal};
  Handle connect_timer_h_{Kind::kConnectTimer};
  std::deque<std::pair<int64_t, Conn*>> deadlines_;  // connects under way, oldest first
  std::vector<Handle> tcp_;
  UdpRelay udp_;
  std::unordered_set<Conn*> conns_;
  std::vector<Conn*> grave_;
};

}  // namespace

bool ParseAddress(const std::string& ip, int port, Address* out) {
  *out = Address{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->sa);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out->sa);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    out->len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    out->len = sizeof *v6;
    return true;
  }
  return false;
}

int Run(std::vector<Listener>& listeners, int signal_fd) {
  Loop loop(signal_fd);
  return loop.Run(listeners);
}

}  // namespace berth::portproxy
