// What berth-port-proxy's epoll loop (port_relay.cc) and its UDP relay (port_udp.cc) share: what
// an epoll event points at, and how a descriptor joins the loop.
#pragma once

#include <sys/epoll.h>

#include <cstdint>

namespace berth::portproxy {

enum class Kind { kTcpListener, kUdpListener, kUdpPeer, kConnSide, kSignal, kUdpSweep, kConnectTimer };

// What an epoll event points at.
struct Handle {
  Kind kind;
  void* owner = nullptr;
  int side = 0;  // kConnSide: 0 the client, 1 the container
};

inline void EpollAdd(int ep, int fd, uint32_t events, Handle* h) {
  epoll_event e{};
  e.events = events;
  e.data.ptr = h;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

}  // namespace berth::portproxy
