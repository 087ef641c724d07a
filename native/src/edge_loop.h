// The fast path's event loops (issue 15): a few threads, each with its own epoll set, its own
// client connections and its own pool of keep-alive upstream connections (no lock on the
// request path), serving the edge's plain-HTTP port with nonblocking sockets. A request with a
// fresh grant goes to its upstream, any other framed request to the Node edge over this client's
// unix-socket connection; a connection the fast path does not fully understand (a body, an
// Upgrade, a malformed head...) is handed whole to a thread that tunnels it to the Node edge.
#pragma once

#include <string>

#include "edge_http.h"

namespace berth::edge {

struct LoopConfig {
  Names names;
  std::string node_path;  // the Node edge's unix socket
};

// Runs `loops` event loops (at least 1) on the nonblocking listening socket `lfd`, the last on
// this thread; never returns. `config` must live as long.
void RunLoops(int lfd, int loops, const LoopConfig* config);

// From now on no loop reuses an upstream connection it pooled before (a switched upstream);
// safe from any thread.
void ClearLoopPools();

}  // namespace berth::edge
