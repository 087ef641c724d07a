// berth-edge-fast: the edge's plain-HTTP fast path (issue 15). Started by the Node edge
// (web/src/edge/fastpath.ts), it owns the edge's HTTP port and serves a request itself only when
// it replays a decision the Node edge made ("host + credentials -> upstream, for T ms", granted in
// a response header whose name is a secret of this start). Everything else goes to the Node edge
// unchanged over a unix socket, preceded by one line with the client's address: every request it
// has no fresh grant for, and the whole connection from the first request it does not fully
// understand (a body, an Upgrade, HTTP/1.0, a malformed head...).
//
// One thread per client connection, blocking I/O: a request is read, sent, and its response
// forwarded before the next is read, so pipelined requests are answered in order.
//
// stdin (from the Node edge): a config block ("name value" lines, then an empty line), then
// commands: "C <generation>" drops every grant (the route table or a policy changed); grants
// made before that generation are refused. "G <grant>" renews the grant its id names (the answer
// to a "P"). EOF: the edge is gone, so is this.
// stdout: "R" once listening; "A <container>..." every 250 ms, the containers the fast path sent
// requests to (idle freeze reads it as activity); "F <generation> <container>..." after each C,
// the containers with fast-path requests in flight then (a stack frozen under one is thawed);
// "P <id>" asks for a busy grant's renewal (edge_grants.h).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "edge_grants.h"
#include "edge_http.h"
#include "edge_net.h"
#include "unique_fd.h"

using berth::unique_fd;
using namespace berth::edge;

namespace {

constexpr int kIdleClientMs = 65'000;       // as the Node edge's keepAliveTimeout
constexpr auto kHeadTime = std::chrono::seconds(60);  // a request head must arrive whole within this (node:http's headersTimeout)
constexpr int kUpstreamIdleMs = 600'000;    // a response that stalls this long is given up
constexpr size_t kMaxHead = 32 * 1024;
constexpr int kMaxConnections = 8192;

Names g_names;
std::string g_node_path;
std::atomic<int> g_connections{0};

// ---- one exchange ---------------------------------------------------------------------------

enum class Outcome {
  kKeepAlive,   // the response was forwarded whole; the client connection goes on
  kClose,       // forwarded; the client connection ends here
  kNoResponse,  // the target failed before answering anything: the request may go elsewhere
  kBroken,      // failed after the client saw part of the answer (or it was unreadable)
};

struct Exchange {
  int client;
  int target;
  bool from_node;
  bool head_request;
  bool client_close;
  const Plain* plain;
  bool target_reusable = false;
};

const char kBadGateway[] = "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 40\r\nconnection: close\r\n\r\nthe upstream answered in a broken way.\r\n";

Outcome Run(Exchange& x, const std::string& request) {
  if (!WriteAll(x.target, request)) return Outcome::kNoResponse;
  std::string buf;
  ResponseHead h;
  size_t end;
  bool sent = false;
  while (true) {
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > kMaxHead) return sent ? Outcome::kBroken : (WriteAll(x.client, kBadGateway, sizeof kBadGateway - 1), Outcome::kClose);
      Read r = Receive(x.target, &buf);
      if (r != Read::kData) {
        if (buf.empty() && !sent) return Outcome::kNoResponse;
        if (!sent) WriteAll(x.client, kBadGateway, sizeof kBadGateway - 1);
        return sent ? Outcome::kBroken : Outcome::kClose;
      }
    }
    h = ResponseHead();
    if (!ParseResponse(std::string_view(buf).substr(0, end + 4), &h) || h.status == 101) {
      if (!sent) WriteAll(x.client, kBadGateway, sizeof kBadGateway - 1);
      return sent ? Outcome::kBroken : Outcome::kClose;
    }
    if (h.status >= 200) break;
    // An interim response (100 Continue, 103 Early Hints): passed on, the final one follows.
    if (!WriteAll(x.client, RewriteResponse(h, g_names, x.from_node, Framing::kNone, false))) return Outcome::kBroken;
    sent = true;
    buf.erase(0, end + 4);
  }
  uint64_t length = 0;
  Framing f = ResponseFraming(h, x.head_request, &length);
  if (f == Framing::kInvalid) {
    if (!sent) WriteAll(x.client, kBadGateway, sizeof kBadGateway - 1);
    return sent ? Outcome::kBroken : Outcome::kClose;
  }
  bool target_close = h.version == "HTTP/1.0" || f == Framing::kClose;
  for (const Header& hd : h.headers) {
    if (IEquals(hd.name, "connection") && HasToken(hd.value, "close")) target_close = true;
    if (x.from_node && x.plain->fast && !g_names.grant_header.empty() && IEquals(hd.name, g_names.grant_header)) PutGrant(x.plain->key, hd.value);
  }
  // The Node edge closing its side means it meant to close the client's (as it would have).
  bool close = x.client_close || f == Framing::kClose || (x.from_node && target_close);
  std::string out = RewriteResponse(h, g_names, x.from_node, f, close);
  std::string_view rest = std::string_view(buf).substr(end + 4);
  bool clean = true;  // nothing past the body came from the target
  ChunkScanner chunks;
  uint64_t left = length;
  auto take = [&](std::string_view data) -> std::string_view {
    // The part of `data` that belongs to the body; sets clean false when bytes follow it.
    switch (f) {
      case Framing::kNone:
        if (!data.empty()) clean = false;
        return {};
      case Framing::kLength: {
        size_t n = data.size() < left ? data.size() : static_cast<size_t>(left);
        left -= n;
        if (n < data.size()) clean = false;
        return data.substr(0, n);
      }
      case Framing::kChunked: {
        long n = chunks.Feed(data.data(), data.size());
        if (n < 0) return std::string_view(nullptr, 0);
        if (static_cast<size_t>(n) < data.size()) clean = false;
        return data.substr(0, static_cast<size_t>(n));
      }
      default:
        return data;
    }
  };
  auto finished = [&] { return f == Framing::kNone || (f == Framing::kLength && !left) || (f == Framing::kChunked && chunks.done()); };
  std::string_view part = take(rest);
  if (f == Framing::kChunked && part.data() == nullptr && !rest.empty()) return sent ? Outcome::kBroken : (WriteAll(x.client, kBadGateway, sizeof kBadGateway - 1), Outcome::kClose);
  out.append(part);
  if (!WriteAll(x.client, out)) return Outcome::kBroken;
  while (!finished()) {
    buf.clear();
    Read r = Receive(x.target, &buf);
    if (r == Read::kEof && f == Framing::kClose) return Outcome::kClose;
    if (r != Read::kData) return Outcome::kBroken;
    part = take(buf);
    if (f == Framing::kChunked && part.data() == nullptr) return Outcome::kBroken;
    if (!WriteAll(x.client, part.data(), part.size())) return Outcome::kBroken;
  }
  x.target_reusable = clean && !target_close;
  return close ? Outcome::kClose : Outcome::kKeepAlive;
}

// ---- a client connection ----------------------------------------------------------------------
void Serve(unique_fd client) {
  NoDelay(client.get());
  timeval tv{60, 0};  // a client that stops reading its response for this long is dropped
  setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  SetReceiveTimeout(client.get(), kIdleClientMs);
  const std::string ip = PeerIp(client.get());
  unique_fd node;
  bool node_used = false;
  std::string in;
  while (true) {
    size_t end;
    Clock::time_point started = Clock::now();
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      if (in.size() > kMaxHead) goto tunnel;
      // Idle between requests for up to kIdleClientMs; once a head has begun, it has kHeadTime to finish.
      if (in.empty()) started = Clock::now();
      int wait = in.empty() ? kIdleClientMs : static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(started + kHeadTime - Clock::now()).count());
      // Between requests: one blocking recv (the socket's timeout is kIdleClientMs).
      if (wait <= 0 || (in.empty() ? Receive(client.get(), &in) : ReadMore(client.get(), &in, wait)) != Read::kData) return;
    }
    {
      std::string head = in.substr(0, end + 4);
      RequestHead r;
      if (!ParseRequest(head, &r)) goto tunnel;
      Plain p = Classify(r, g_names);
      if (!p.framed) goto tunnel;
      in.erase(0, end + 4);
      bool head_request = r.method == "HEAD";
      Grant g;
      if (p.fast && TakeGrant(p.key, &g)) {
        Outcome o = Outcome::kNoResponse;
        for (int attempt = 0; attempt < 2 && o == Outcome::kNoResponse; attempt++) {
          bool reused = false;
          unique_fd up = TakeUpstream(g.ip, g.port, kUpstreamIdleMs, &reused);
          if (!up) break;
          Exchange x{client.get(), up.get(), false, head_request, p.client_close, &p};
          o = Run(x, RewriteRequest(r, g_names, ip));
          if (x.target_reusable && (o == Outcome::kKeepAlive || o == Outcome::kClose)) GiveBack(g.ip, g.port, std::move(up));
          // A fresh connection that failed: the Node edge decides again (waits, retries, or answers 502).
          if (o == Outcome::kNoResponse && !reused) break;
        }
        ReleaseGrant(g.container);
        if (o == Outcome::kKeepAlive) continue;
        if (o != Outcome::kNoResponse) return;
        DropGrant(p.key);
      }
      Outcome o = Outcome::kNoResponse;
      for (int attempt = 0; attempt < 2 && o == Outcome::kNoResponse; attempt++) {
        bool reused = node_used && node;
        if (!node) node = ConnectNode(g_node_path, ip, kUpstreamIdleMs);
        if (!node) break;
        node_used = true;
        Exchange x{client.get(), node.get(), true, head_request, p.client_close, &p};
        o = Run(x, head);
        if (o != Outcome::kKeepAlive) node.reset();
        if (o == Outcome::kNoResponse && !reused) break;
      }
      if (o == Outcome::kNoResponse) WriteAll(client.get(), "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 30\r\nconnection: close\r\n\r\nBerth's edge is not answering\n");
      if (o != Outcome::kKeepAlive) return;
      continue;
    }
  tunnel:
    if (!node) node = ConnectNode(g_node_path, ip, kUpstreamIdleMs);
    if (node) Tunnel(client.get(), node.get(), in);
    return;
  }
}

void* ServeThread(void* arg) {
  int fd = static_cast<int>(reinterpret_cast<intptr_t>(arg));
  Serve(unique_fd(fd));
  g_connections--;
  return nullptr;
}

// ---- start-up ------------------------------------------------------------------------------

int Listen(const std::string& host, const std::string& port) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    std::fprintf(stderr, "berth-edge-fast: listen address %s:%s: %s\n", host.c_str(), port.c_str(), gai_strerror(rc));
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
    std::fprintf(stderr, "berth-edge-fast: bind/listen %s:%s: %s (errno %d)\n", host.c_str(), port.c_str(), std::strerror(errno), errno);
    freeaddrinfo(res);
    close(fd);
    return -1;
  }
  freeaddrinfo(res);
  return fd;
}

void AcceptLoop(int lfd) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  while (true) {
    int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) usleep(10'000);
      continue;
    }
    if (g_connections.load() >= kMaxConnections) {
      close(fd);
      continue;
    }
    g_connections++;
    pthread_t t;
    if (pthread_create(&t, &attr, ServeThread, reinterpret_cast<void*>(static_cast<intptr_t>(fd))) != 0) {
      g_connections--;
      close(fd);
    }
  }
}

void* ReportThread(void*) {
  for (int tick = 0;; tick++) {
    // A quarter second: the idle clock sees fast-path requests about as soon as the Node edge's own.
    usleep(250'000);
    std::string line = TakeActive();
    if (!line.empty()) Say("A" + line + "\n");
    if (tick % 4 == 0) SweepPool();
  }
  return nullptr;
}

void* CommandThread(void*) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.size() > 2 && line[0] == 'G' && line[1] == ' ') {
      RenewGrant(std::string_view(line).substr(2));
    } else if (line.size() > 2 && line[0] == 'C' && line[1] == ' ') {
      ClearGrants(std::strtoull(line.c_str() + 2, nullptr, 10));
      // A switched upstream gets new connections from now on.
      ClearPool();
    }
  }
  // The Node edge is gone: so is its port.
  _exit(0);
  return nullptr;
}

}  // namespace

int main() {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGPIPE, SIG_IGN);
  std::string host, port, line;
  while (std::getline(std::cin, line) && !line.empty()) {
    size_t sp = line.find(' ');
    std::string k = line.substr(0, sp), v = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (k == "listen-host") host = v;
    else if (k == "listen-port") port = v;
    else if (k == "node") g_node_path = v;
    else if (k == "grant-header") g_names.grant_header = v;
    else if (k == "session-cookie") g_names.session_cookie = v;
    else if (k == "link-cookie") g_names.link_cookie = v;
    else if (k == "link-param") g_names.link_param = v;
    else if (k == "link-header") g_names.link_header = v;
    else if (k == "link-prefix") g_names.link_prefix = v;
    else if (k == "token-prefix") g_names.token_prefix = v;
    else if (k == "auth-path") g_names.auth_path = v;
    else if (k == "acme-prefix") g_names.acme_prefix = v;
  }
  if (host.empty() || port.empty() || g_node_path.empty() || g_names.grant_header.size() < 16 || g_node_path.size() >= sizeof(sockaddr_un::sun_path)) {
    std::fprintf(stderr, "berth-edge-fast: the config needs listen-host, listen-port, node (a unix socket path under 108 bytes) and grant-header (16+ chars)\n");
    return 2;
  }
  int lfd = Listen(host, port);
  if (lfd < 0) return 1;
  pthread_t t;
  pthread_create(&t, nullptr, ReportThread, nullptr);
  pthread_create(&t, nullptr, CommandThread, nullptr);
  Say("R\n");
  AcceptLoop(lfd);
}
