#include "edge_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace berth::edge {

// ---- sockets -----------------------------------------------------------------------------

bool WriteAll(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}
bool WriteAll(int fd, const std::string& s) { return WriteAll(fd, s.data(), s.size()); }


void SetReceiveTimeout(int fd, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void NoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A connection to the Node edge for one client, announced with the client's address.
unique_fd ConnectNode(const std::string& path, const std::string& client_ip, int receive_timeout_ms) {
  unique_fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fd;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return unique_fd();
  SetReceiveTimeout(fd.get(), receive_timeout_ms);
  if (!WriteAll(fd.get(), client_ip + "\n")) return unique_fd();
  return fd;
}

// Bytes both ways between the client and the Node edge until both sides are done.
void Tunnel(int client, int node, const std::string& pending) {
  if (!pending.empty() && !WriteAll(node, pending)) return;
  pollfd p[2] = {{client, POLLIN, 0}, {node, POLLIN, 0}};
  bool open[2] = {true, true};
  char buf[65536];
  while (open[0] || open[1]) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; i++) {
      if (!open[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n < 0) return;
        open[i] = false;
        p[i].fd = -1;
        shutdown(i == 0 ? node : client, SHUT_WR);
        continue;
      }
      if (!WriteAll(i == 0 ? node : client, buf, static_cast<size_t>(n))) return;
    }
  }
}

std::string PeerIp(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = {0};
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return "";
  if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, ip, sizeof ip);
  else if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, ip, sizeof ip);
  return ip;
}

}  // namespace berth::edge
