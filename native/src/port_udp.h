// The UDP side of berth-port-proxy: datagrams relayed per client address, each client with an
// upstream socket of its own (so replies find their way back) that goes after 60 s idle.
#pragma once

#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "port_loop.h"
#include "port_relay.h"

namespace berth::portproxy {

class UdpRelay {
 public:
  /** `ep`: the loop's epoll set. False if its idle-sweep timer could not be made. */
  bool Init(int ep);
  /** Relays `l` (a bound UDP listener) from now on. */
  void Listen(Listener* l);
  /** The loop's events: kUdpListener, kUdpPeer and kUdpSweep. */
  void Event(Handle* h);
  /** Ends every client's upstream socket (at shutdown). */
  void CloseAll();
  /** Frees what ended during a batch of events (one of the batch may still point at it). */
  void Reap();

 private:
  struct Source;
  struct Peer {
    Source* src;
    int fd;
    Address client;
    time_t last;
    Handle h;
    std::string key;
    bool dead = false;
  };
  struct Source {
    Listener* l;
    Handle h;
    std::map<std::string, Peer*> peers;
  };

  void In(Source* u);
  void Back(Peer* p);
  void KillPeer(Peer* p, bool unlink);
  void ArmSweep(bool on);
  void Sweep();

  int ep_ = -1, timer_ = -1;
  long peer_count_ = 0;
  Handle timer_h_{Kind::kUdpSweep};
  std::vector<std::unique_ptr<Source>> sources_;
  std::vector<Peer*> grave_;
};

}  // namespace berth::portproxy
