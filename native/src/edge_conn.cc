// A client connection's state machine on an event loop (edge_loop_parts.h): read a request head,
// send it to its upstream (a fresh grant) or to the Node edge, forward the answer, then the next
// request. One exchange at a time per connection, so pipelined requests are answered in order.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "edge_loop_parts.h"
#include "edge_net.h"

namespace berth::edge {
namespace {

constexpr auto kIdleClient = std::chrono::milliseconds(kIdleClientMs);
constexpr auto kHeadTime = std::chrono::seconds(60);  // a request head must arrive whole within this (node:http's headersTimeout)
constexpr auto kClientWrite = std::chrono::seconds(60);  // a client that stops reading its answer this long is dropped
constexpr auto kConnectTime = std::chrono::seconds(5);   // as proxy.ts CONNECT_TIMEOUT_MS
constexpr auto kUpstreamIdle = std::chrono::milliseconds(kUpstreamIdleMs);
constexpr size_t kMaxHead = 32 * 1024;
// While this much waits for the client, the target is not read (its own buffers hold the rest).
constexpr size_t kOutHigh = 256 * 1024;

size_t Pending(const Conn* c) { return c->out.size() - c->out_off; }

// Writes what the client is owed while it takes it; false when the client is gone.
bool Flush(Conn* c) {
  while (Pending(c)) {
    if (!c->writable) return true;
    ssize_t n = send(c->fd, c->out.data() + c->out_off, Pending(c), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      c->writable = false;
      c->write_since = Clock::now();
      return true;
    }
    c->out_off += static_cast<size_t>(n);
    c->write_since = Clock::now();
    if (c->phase == Phase::kResponse) c->since = c->write_since;
  }
  c->out.clear();
  c->out_off = 0;
  return true;
}

bool StartNode(Conn* c);

// The grant's upstream could not be reached: the grant goes, and the request goes to the Node edge.
bool FallBackToNode(Conn* c) {
  ReleaseGrant(c->grant.container);
  c->granted = false;
  DropGrant(c->plain.key);
  c->attempt = 0;
  return StartNode(c);
}

// The grant's upstream, on a pooled connection or a new one (a connect under way is kConnect).
bool StartUpstream(Conn* c) {
  Target* t = c->loop->TakeUpstream(c->grant.ip, c->grant.port, &c->reused);
  // A connect that failed at once: the Node edge decides again (waits, retries, or answers 502).
  if (!t) return FallBackToNode(c);
  t->owner = c;
  c->target = t;
  c->request_off = 0;
  c->since = Clock::now();
  c->phase = t->connecting ? Phase::kConnect : Phase::kSend;
  return true;
}

// The request, as the client sent it, to the Node edge on this client's connection to it.
bool StartNode(Conn* c) {
  c->to_node = true;
  c->reused = c->node_used && c->node;
  if (!c->node) c->node = c->loop->ConnectToNode(c->ip);
  if (!c->node) {
    c->out.append(kNodeUnavailable);
    c->close_after_flush = true;
    c->phase = Phase::kFlush;
    return true;
  }
  c->node->owner = c;
  c->node_used = true;
  c->target = c->node;
  c->request = c->head;
  c->request_off = 0;
  c->since = Clock::now();
  c->phase = Phase::kSend;
  return true;
}

// The exchange ended with `o` (its target is done with): retry, fall back to the Node edge, or
// let the client have the rest of its answer.
bool EndExchange(Conn* c, Outcome o) {
  Target* t = c->target;
  c->target = nullptr;
  c->reader.reset();
  if (!c->to_node) {
    if (o == Outcome::kNoResponse) {
      c->loop->CloseTarget(t);
      // A reused connection the upstream had closed: once more on another (the request was not seen).
      if (c->reused && c->attempt == 0) {
        c->attempt++;
        return StartUpstream(c);
      }
      // A fresh connection that failed: the Node edge decides again.
      return FallBackToNode(c);
    }
    bool reusable = c->target_reusable && (o == Outcome::kKeepAlive || o == Outcome::kClose);
    if (reusable) c->loop->GiveBack(t);
    else c->loop->CloseTarget(t);
    ReleaseGrant(c->grant.container);
    c->granted = false;
  } else if (o != Outcome::kKeepAlive) {
    c->loop->CloseTarget(t);
    c->node = nullptr;
    if (o == Outcome::kNoResponse) {
      if (c->reused && c->attempt == 0) {
        c->attempt++;
        return StartNode(c);
      }
      c->out.append(kNodeUnavailable);
      o = Outcome::kClose;
    }
  }
  c->close_after_flush = o != Outcome::kKeepAlive;
  c->phase = Phase::kFlush;
  c->write_since = Clock::now();
  return true;
}

// kHead: the next request head, whole; false while it has not come.
bool NextRequest(Conn* c) {
  size_t end = c->in.find("\r\n\r\n");
  while (end == std::string::npos) {
    if (c->in.size() > kMaxHead) {
      c->loop->Handoff(c);
      return false;
    }
    if (!c->readable) return false;
    size_t before = c->in.size();
    ssize_t n = recv(c->fd, c->loop->buf, sizeof c->loop->buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c->readable = false;
      return false;
    }
    if (n <= 0) {
      c->loop->CloseConn(c);
      return false;
    }
    // A short read drained the socket: the next bytes come with a new event (but an end that
    // came with these bytes has had its event).
    if (static_cast<size_t>(n) < sizeof c->loop->buf && !c->hup) c->readable = false;
    c->in.append(c->loop->buf, static_cast<size_t>(n));
    if (!before) c->since = Clock::now();
    end = c->in.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  }
  c->head.assign(c->in, 0, end + 4);
  RequestHead r;
  if (!ParseRequest(c->head, &r)) {
    c->loop->Handoff(c);
    return false;
  }
  c->plain = Classify(r, c->loop->config->names);
  if (!c->plain.framed) {
    c->loop->Handoff(c);
    return false;
  }
  c->in.erase(0, end + 4);
  c->head_request = r.method == "HEAD";
  c->attempt = 0;
  c->target_reusable = false;
  if (c->plain.fast && TakeGrant(c->plain.key, &c->grant)) {
    c->granted = true;
    c->to_node = false;
    c->request = RewriteRequest(r, c->loop->config->names, c->ip);
    return StartUpstream(c);
  }
  return StartNode(c);
}

bool Connected(Conn* c) {
  Target* t = c->target;
  if (!t->writable) return false;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) return EndExchange(c, Outcome::kNoResponse);
  t->connecting = false;
  NoDelay(t->fd);
  c->phase = Phase::kSend;
  return true;
}

bool SendRequest(Conn* c) {
  Target* t = c->target;
  while (c->request_off < c->request.size()) {
    if (!t->writable) return false;
    ssize_t n = send(t->fd, c->request.data() + c->request_off, c->request.size() - c->request_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        t->writable = false;
        return false;
      }
      return EndExchange(c, Outcome::kNoResponse);
    }
    c->request_off += static_cast<size_t>(n);
  }
  c->reader.emplace(c->loop->config->names, c->to_node, c->head_request, c->plain);
  c->phase = Phase::kResponse;
  c->since = Clock::now();
  return true;
}

bool ReadResponse(Conn* c) {
  Target* t = c->target;
  while (true) {
    if (Pending(c) >= kOutHigh || !t->readable) return false;
    ssize_t n = recv(t->fd, c->loop->buf, sizeof c->loop->buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      t->readable = false;
      return false;
    }
    Outcome o;
    if (n <= 0) {
      o = c->reader->End(n == 0, &c->out);
    } else {
      if (static_cast<size_t>(n) < sizeof c->loop->buf && !t->hup) t->readable = false;
      c->since = Clock::now();
      o = c->reader->Feed(std::string_view(c->loop->buf, static_cast<size_t>(n)), &c->out);
    }
    if (o != Outcome::kMore) {
      c->target_reusable = c->reader->reusable();
      return EndExchange(c, o);
    }
    if (!Flush(c)) {
      c->loop->CloseConn(c);
      return false;
    }
  }
}

}  // namespace

void Step(Conn* c) {
  while (c->phase != Phase::kClosed) {
    if (!Flush(c)) {
      c->loop->CloseConn(c);
      return;
    }
    bool progressed = false;
    switch (c->phase) {
      case Phase::kHead: progressed = NextRequest(c); break;
      case Phase::kConnect: progressed = Connected(c); break;
      case Phase::kSend: progressed = SendRequest(c); break;
      case Phase::kResponse: progressed = ReadResponse(c); break;
      case Phase::kFlush:
        if (Pending(c)) return;
        if (c->close_after_flush) {
          c->loop->CloseConn(c);
          return;
        }
        c->phase = Phase::kHead;
        c->since = Clock::now();
        progressed = true;
        break;
      case Phase::kClosed: return;
    }
    if (!progressed) return;
  }
}

void CheckDeadlines(Conn* c, Clock::time_point now) {
  if (Pending(c) && !c->writable && now - c->write_since > kClientWrite) {
    c->loop->CloseConn(c);
    return;
  }
  bool late = false;
  switch (c->phase) {
    case Phase::kHead: late = now - c->since > (c->in.empty() ? kIdleClient : kHeadTime); break;
    case Phase::kConnect: late = now - c->since > kConnectTime; break;
    case Phase::kSend:
    case Phase::kResponse: late = Pending(c) < kOutHigh && now - c->since > kUpstreamIdle; break;
    default: break;
  }
  if (!late) return;
  if (c->phase == Phase::kHead) {
    c->loop->CloseConn(c);
    return;
  }
  // A target that does not answer: as if it had failed.
  Outcome o = c->phase == Phase::kResponse ? c->reader->End(false, &c->out) : Outcome::kNoResponse;
  if (c->phase == Phase::kResponse) c->target_reusable = false;
  if (EndExchange(c, o)) Step(c);
}

}  // namespace berth::edge
