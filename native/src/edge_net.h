// Sockets for the edge's fast path: whole writes, the connection to the Node edge,
// and the byte tunnel that hands a client connection to the Node edge for good (edge_loop.cc).
#pragma once

#include <string>

#include "unique_fd.h"

namespace berth::edge {

using berth::unique_fd;

bool WriteAll(int fd, const char* p, size_t n);
bool WriteAll(int fd, const std::string& s);

void SetReceiveTimeout(int fd, int timeout_ms);

void NoDelay(int fd);
// A connection to the Node edge (unix socket `path`) for one client, announced with its address
// (blocking, with `receive_timeout_ms` as its receive timeout).
unique_fd ConnectNode(const std::string& path, const std::string& client_ip, int receive_timeout_ms);

// Bytes both ways between the client and the Node edge until both sides are done.
void Tunnel(int client, int node, const std::string& pending);
std::string PeerIp(int fd);

}  // namespace berth::edge
