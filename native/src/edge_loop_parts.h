// The pieces one event loop (edge_loop.cc) is made of, shared with the client connection's state
// machine (edge_conn.cc) and its targets (edge_targets.cc). Private to those files.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "edge_exchange.h"
#include "edge_grants.h"
#include "edge_http.h"
#include "edge_loop.h"

namespace berth::edge {

struct Conn;

constexpr int kIdleClientMs = 65'000;     // a client idle between requests (the Node edge's keepAliveTimeout)
constexpr int kUpstreamIdleMs = 600'000;  // a target that stalls this long is given up


// What an epoll event points at.
struct Item {
  enum Kind { kListener, kInbox, kClient, kTarget } kind;
  explicit Item(Kind k) : kind(k) {}
};

// A connection to an upstream (pooled between requests) or to the Node edge (one per client).
struct Target : Item {
  Target() : Item(kTarget) {}
  int fd = -1;
  std::string pool_key;       // "ip:port"; empty for the Node edge
  uint64_t generation = 0;    // the pool generation it was made in (ClearLoopPools)
  Conn* owner = nullptr;      // null while pooled
  Clock::time_point since;    // pooled since
  bool connecting = false;
  bool readable = false;      // edge-triggered: set by an event, cleared by EAGAIN or a short read
  bool writable = true;
  bool hup = false;           // the peer's end came: read on to it (no new event will say so)
  bool dead = false;          // closed; freed after the current batch of events
};

enum class Phase {
  kHead,      // reading the client's next request head
  kConnect,   // connecting to the upstream
  kSend,      // writing the request to the target
  kResponse,  // forwarding the target's response
  kFlush,     // the exchange is over; the client gets the rest of the answer
  kClosed,    // closed or handed off; freed after the current batch of events
};

struct Loop;

// A client connection and its exchange in progress.
struct Conn : Item {
  Conn() : Item(kClient) {}
  Loop* loop = nullptr;
  int fd = -1;
  std::string ip;
  bool readable = false;          // as Target's
  bool writable = true;
  bool hup = false;
  Phase phase = Phase::kHead;
  // kHead: idle since (no bytes yet) or the head begun; kConnect/kSend/kResponse: the target's
  // last progress. The sweep's deadlines count from it.
  Clock::time_point since;
  Clock::time_point write_since;  // when writing to the client last blocked or progressed
  std::string in;                 // bytes from the client not handled yet
  std::string out;                // bytes for the client not written yet (from out_off)
  size_t out_off = 0;
  // The exchange.
  std::string head;               // the request head as the client sent it
  Plain plain;
  bool head_request = false;
  std::string request;            // what the target is sent
  size_t request_off = 0;
  bool to_node = false;
  bool granted = false;           // holds `grant` in flight (ReleaseGrant owed)
  Grant grant;
  bool reused = false;            // the target connection served requests before
  int attempt = 0;
  Target* target = nullptr;       // the target of the exchange in progress
  Target* node = nullptr;         // this client's connection to the Node edge
  bool node_used = false;
  std::optional<ResponseReader> reader;
  bool target_reusable = false;   // the upstream may serve another request (the response ended whole)
  bool close_after_flush = false;
};

struct Loop {
  int epoll = -1;
  // Connections another loop accepted for this one (the least loaded): an eventfd says when.
  Item inbox_item{Item::kInbox};
  int inbox_event = -1;
  std::mutex inbox_mu;
  std::vector<int> inbox;
  std::atomic<int> load{0};  // client connections this loop serves or is about to
  const LoopConfig* config = nullptr;
  std::unordered_set<Conn*> conns;
  std::unordered_map<std::string, std::vector<Target*>> pool;
  uint64_t pool_generation = 0;
  std::vector<Conn*> dead_conns;
  std::vector<Target*> dead_targets;
  char buf[65536];

  // edge_loop.cc
  bool Watch(int fd, Item* item);
  void CloseConn(Conn* c);
  void Handoff(Conn* c);
  // edge_targets.cc
  Target* TakeUpstream(const std::string& ip, int port, bool* reused);
  void GiveBack(Target* t);
  Target* ConnectToNode(const std::string& client_ip);
  void CloseTarget(Target* t);
  // An event on a pooled connection: closed when the upstream ended it or sent stray bytes.
  void PooledEvent(Target* t);
  // Closes pooled connections idle too long.
  void SweepPool(Clock::time_point now);
};

bool SetBlocking(int fd, bool blocking);
// An idle connection the peer has neither written to nor closed (one MSG_PEEK).
bool QuietIdle(int fd);

// edge_conn.cc: all the progress `c` can make now (after an event on it or its target).
void Step(Conn* c);
// edge_conn.cc: the sweep's deadlines (idle, head, a stalled write, connect, a stalled target).
void CheckDeadlines(Conn* c, Clock::time_point now);

}  // namespace berth::edge
