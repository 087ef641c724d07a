// Sockets for the edge's fast path (edge_fast_main.cc): whole writes, reads with a deadline,
// connections to upstreams (kept alive in a pool) and to the Node edge, and the byte tunnel
// that hands a connection to the Node edge for good.
#pragma once

#include <string>

#include "unique_fd.h"

namespace berth::edge {

using berth::unique_fd;

bool WriteAll(int fd, const char* p, size_t n);
bool WriteAll(int fd, const std::string& s);

enum class Read { kData, kEof, kError };
// Appends what `fd` has, waiting up to timeout_ms for it.
Read ReadMore(int fd, std::string* buf, int timeout_ms);
// Appends what `fd` has, waiting up to the socket's own receive timeout (SetReceiveTimeout): one
// blocking recv instead of poll + recv, on the path every request takes.
Read Receive(int fd, std::string* buf);
void SetReceiveTimeout(int fd, int timeout_ms);

void NoDelay(int fd);
// Both with `receive_timeout_ms` as their receive timeout (see Receive).
unique_fd ConnectTcp(const std::string& ip, int port, int receive_timeout_ms);
// A connection to the Node edge (unix socket `path`) for one client, announced with its address.
unique_fd ConnectNode(const std::string& path, const std::string& client_ip, int receive_timeout_ms);

// An idle pooled connection to ip:port that is still open, or a new one; `reused` says which.
unique_fd TakeUpstream(const std::string& ip, int port, int receive_timeout_ms, bool* reused);
void GiveBack(const std::string& ip, int port, unique_fd fd);
// Closes pooled connections idle too long / all of them (a switched upstream).
void SweepPool();
void ClearPool();

// Bytes both ways between the client and the Node edge until both sides are done.
void Tunnel(int client, int node, const std::string& pending);
std::string PeerIp(int fd);

}  // namespace berth::edge
