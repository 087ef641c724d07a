// berth-edge-fast: the edge's plain-HTTP fast path (issue 15). Started by the Node edge
// (web/src/edge/fastpath.ts), it owns the edge's HTTP port and serves a request itself only when
// it replays a decision the Node edge made ("host + credentials -> upstream, for T ms", granted in
// a response header whose name is a secret of this start). Everything else goes to the Node edge
// unchanged over a unix socket, preceded by one line with the client's address: every request it
// has no fresh grant for, and the whole connection from the first request it does not fully
// understand (a body, an Upgrade, HTTP/1.0, a malformed head...).
//
// A few event loops (edge_loop.h; half the cores, or the config's "loops") with nonblocking
// sockets serve the connections: one request at a time per connection (read, sent, its response
// forwarded before the next is read), so pipelined requests are answered in order. A connection
// that is tunnelled to the Node edge gets a thread of its own.
//
// stdin (from the Node edge): a config block ("name value" lines, then an empty line), then
// commands: "C <generation>" drops every grant (the route table or a policy changed); grants
// made before that generation are refused. "G <grant>" renews the grant its id names (the answer
// to a "P"), "D <id>" refuses its renewal (the grant goes). EOF: the edge is gone, so is this.
// stdout: "R" once listening; "A <container>..." every 250 ms, the containers the fast path sent
// requests to (idle freeze reads it as activity); "F <generation> <container>..." after each C,
// the containers with fast-path requests in flight then (a stack frozen under one is thawed);
// "P <id>" asks for a busy grant's renewal (edge_grants.h).
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "edge_grants.h"
#include "edge_loop.h"

using namespace berth::edge;

namespace {

LoopConfig g_config;

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
  // Nonblocking: every event loop accepts from it (edge_loop.cc).
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
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

void* ReportThread(void*) {
  while (true) {
    // A quarter second: the idle clock sees fast-path requests about as soon as the Node edge's own.
    usleep(250'000);
    std::string line = TakeActive();
    if (!line.empty()) Say("A" + line + "\n");
  }
  return nullptr;
}

void* CommandThread(void*) {
  std::string line;
  while (std::getline(std::cin, line)) {
    // "<letter> <argument>"; anything else is ignored.
    if (line.size() < 3 || line[1] != ' ') continue;
    const char* arg = line.c_str() + 2;
    switch (line[0]) {
      case 'G':
        RenewGrant(arg);
        break;
      case 'D':
        RefuseGrant(std::strtoull(arg, nullptr, 10));
        break;
      case 'C':
        ClearGrants(std::strtoull(arg, nullptr, 10));
        // A switched upstream gets new connections from now on.
        ClearLoopPools();
        break;
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
  int loops = 0;
  while (std::getline(std::cin, line) && !line.empty()) {
    size_t sp = line.find(' ');
    std::string k = line.substr(0, sp), v = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (k == "listen-host") host = v;
    else if (k == "listen-port") port = v;
    else if (k == "node") g_config.node_path = v;
    else if (k == "grant-header") g_config.names.grant_header = v;
    else if (k == "session-cookie") g_config.names.session_cookie = v;
    else if (k == "link-cookie") g_config.names.link_cookie = v;
    else if (k == "link-param") g_config.names.link_param = v;
    else if (k == "link-header") g_config.names.link_header = v;
    else if (k == "link-prefix") g_config.names.link_prefix = v;
    else if (k == "token-prefix") g_config.names.token_prefix = v;
    else if (k == "auth-path") g_config.names.auth_path = v;
    else if (k == "acme-prefix") g_config.names.acme_prefix = v;
    else if (k == "loops") loops = std::atoi(v.c_str());
    else if (k == "grant-stale-ms") SetStaleWindow(std::chrono::milliseconds(std::atoll(v.c_str())));
  }
  if (host.empty() || port.empty() || g_config.node_path.empty() || g_config.names.grant_header.size() < 16 || g_config.node_path.size() >= sizeof(sockaddr_un::sun_path)) {
    std::fprintf(stderr, "berth-edge-fast: the config needs listen-host, listen-port, node (a unix socket path under 108 bytes) and grant-header (16+ chars)\n");
    return 2;
  }
  int lfd = Listen(host, port);
  if (lfd < 0) return 1;
  pthread_t t;
  pthread_create(&t, nullptr, ReportThread, nullptr);
  pthread_create(&t, nullptr, CommandThread, nullptr);
  Say("R\n");
  // Half the cores by default, not one loop per core: the edge shares its host with the apps it
  // serves, and each loop serves only the connections it took. On 2 cores under wrk -c16 against
  // an app on the same host, two loops (each sharing a core with another busy process) answered
  // their halves at different speeds: p90 1.15-1.24x nginx's (one worker), one loop 0.91-0.97x.
  if (loops <= 0) {
    cpu_set_t cpus;
    int cores = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
    loops = std::max(1, cores / 2);
  }
  RunLoops(lfd, loops, &g_config);
}
