// The relays of berth-port-proxy: one epoll loop carrying each published port's TCP connections
// and UDP datagrams to the container. No threads: a proxy serves one container's few ports.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "port_proxy_log.h"

namespace berth::portproxy {

struct Address {
  sockaddr_storage sa{};
  socklen_t len = 0;
};

/** Parses a numeric IPv4 or IPv6 address with `port`; false if `ip` is neither. */
bool ParseAddress(const std::string& ip, int port, Address* out);

struct Listener {
  bool udp = false;
  int fd = -1;
  Address target;  // the container's address and port
  ConnectLog log;  // the failed connections toward `target`
};

/**
 * Runs until SIGTERM or SIGINT (blocked by the caller and read here through a signalfd), then
 * closes every listener and connection. Returns the process's exit code.
 */
int Run(std::vector<Listener>& listeners, int signal_fd);

}  // namespace berth::portproxy
