#include "port_udp.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

namespace berth::portproxy {
namespace {

constexpr time_t kUdpIdleSec = 60;  // as relay.ts's UDP_IDLE_MS: a client's upstream socket goes after this
constexpr time_t kSweepSec = 5;

time_t Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

}  // namespace

bool UdpRelay::Init(int ep) {
  ep_ = ep;
  timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_ < 0) return false;
  EpollAdd(ep_, timer_, EPOLLIN, &timer_h_);
  return true;
}

void UdpRelay::Listen(Listener* l) {
  sources_.push_back(std::make_unique<Source>());
  Source* u = sources_.back().get();
  u->l = l;
  u->h = {Kind::kUdpListener, u, 0};
  EpollAdd(ep_, l->fd, EPOLLIN, &u->h);
}

void UdpRelay::Event(Handle* h) {
  switch (h->kind) {
    case Kind::kUdpListener: return In(static_cast<Source*>(h->owner));
    case Kind::kUdpPeer: return Back(static_cast<Peer*>(h->owner));
    case Kind::kUdpSweep: return Sweep();
    default: return;
  }
}

void UdpRelay::In(Source* u) {
  static char buf[65536];
  for (int i = 0; i < 64; i++) {
    Address from;
    from.len = sizeof from.sa;
    ssize_t n = recvfrom(u->l->fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from.sa), &from.len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    std::string key(reinterpret_cast<const char*>(&from.sa), from.len);
    auto it = u->peers.find(key);
    Peer* p;
    if (it != u->peers.end()) {
      p = it->second;
    } else {
      // One upstream socket per client address, so replies find their way back.
      int fd = socket(u->l->target.sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      if (connect(fd, reinterpret_cast<const sockaddr*>(&u->l->target.sa), u->l->target.len) < 0) {
        close(fd);
        continue;
      }
      p = new Peer{u, fd, from, 0, {}, key};
      p->h = {Kind::kUdpPeer, p, 0};
      u->peers[key] = p;
      EpollAdd(ep_, fd, EPOLLIN, &p->h);
      if (++peer_count_ == 1) ArmSweep(true);
    }
    p->last = Now();
    send(p->fd, buf, static_cast<size_t>(n), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
}

void UdpRelay::Back(Peer* p) {
  static char buf[65536];
  if (p->dead) return;
  for (int i = 0; i < 64; i++) {
    ssize_t n = recv(p->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) KillPeer(p, true);  // e.g. ECONNREFUSED: nothing listens in the container
      return;
    }
    p->last = Now();
    sendto(p->src->l->fd, buf, static_cast<size_t>(n), MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&p->client.sa), p->client.len);
  }
}

void UdpRelay::KillPeer(Peer* p, bool unlink) {
  if (p->dead) return;
  p->dead = true;
  close(p->fd);
  if (unlink) p->src->peers.erase(p->key);
  if (--peer_count_ == 0) ArmSweep(false);
  grave_.push_back(p);
}

// The idle sweep ticks only while some client has an upstream socket.
void UdpRelay::ArmSweep(bool on) {
  itimerspec t{};
  if (on) t.it_value.tv_sec = t.it_interval.tv_sec = kSweepSec;
  timerfd_settime(timer_, 0, &t, nullptr);
}

void UdpRelay::Sweep() {
  uint64_t ticks;
  while (read(timer_, &ticks, sizeof ticks) == sizeof ticks) {
  }
  time_t now = Now();
  std::vector<Peer*> idle;
  for (auto& u : sources_)
    for (auto& [k, p] : u->peers)
      if (now - p->last >= kUdpIdleSec) idle.push_back(p);
  for (Peer* p : idle) KillPeer(p, true);
}

void UdpRelay::CloseAll() {
  for (auto& u : sources_)
    for (auto& [k, p] : u->peers) KillPeer(p, false);
}

void UdpRelay::Reap() {
  for (Peer* p : grave_) delete p;
  grave_.clear();
}

}  // namespace berth::portproxy
