// berth-port-proxy: the published ports (-p) of one container, Docker's docker-proxy.
//
//   berth-port-proxy berth-port-proxy <host id> <container id> <target ip> <mapping>...
//   mapping: <tcp|udp>,<host ip or empty>,<host port, 0 = a free one>,<container port>
//
// The marker (argv[1]) and the ids are how the worker, the launcher's clean-up and the tests tell
// a proxy of theirs from any other process. It binds every mapping, reports on stdout (a pipe
// to its starter) one JSON line, {"ports":[...]} or {"error":{"index":i,"code":"EADDRINUSE",
// "message":...}}, then closes stdout and runs on in its own session (the worker started it
// detached) so the ports answer while no worker runs. SIGTERM or SIGINT end it; SIGHUP does not.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "port_relay.h"

using berth::portproxy::Address;
using berth::portproxy::Listener;
using berth::portproxy::ParseAddress;

namespace {

constexpr const char* kMarker = "berth-port-proxy";

struct Mapping {
  bool udp = false;
  std::string host_ip;  // empty: every address
  int host_port = 0;
  int container_port = 0;
};

struct BindError {
  int err = 0;
  std::string message;
};

bool ParsePort(const std::string& s, int min, int* out) {
  if (s.empty() || s.size() > 5) return false;
  for (char ch : s)
    if (!isdigit(static_cast<unsigned char>(ch))) return false;
  *out = std::stoi(s);
  return *out >= min && *out <= 65535;
}

bool ParseMapping(const std::string& s, Mapping* m) {
  size_t a = s.find(','), b = a == std::string::npos ? a : s.find(',', a + 1), c = b == std::string::npos ? b : s.find(',', b + 1);
  if (c == std::string::npos || s.find(',', c + 1) != std::string::npos) return false;
  std::string proto = s.substr(0, a);
  if (proto != "tcp" && proto != "udp") return false;
  m->udp = proto == "udp";
  m->host_ip = s.substr(a + 1, b - a - 1);
  return ParsePort(s.substr(b + 1, c - b - 1), 0, &m->host_port) && ParsePort(s.substr(c + 1), 1, &m->container_port);
}

std::string Json(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  return out + "\"";
}

// As Node words it, the message the worker passed on when the proxy was a Node process:
// "listen EADDRINUSE: address already in use :::8080" (TCP), "bind EADDRINUSE 0.0.0.0:53" (UDP).
std::string NodeMessage(bool udp, int err, const std::string& ip, int port) {
  const char* name = strerrorname_np(err);
  std::string code = name ? name : "E" + std::to_string(err);
  std::string where = ip + ":" + std::to_string(port);
  if (udp) return "bind " + code + " " + where;
  std::string what = strerror(err);
  if (!what.empty()) what[0] = static_cast<char>(tolower(static_cast<unsigned char>(what[0])));
  return "listen " + code + ": " + what + " " + where;
}

bool BindOne(const Mapping& m, const std::string& ip, Listener* l, BindError* e) {
  Address a;
  if (!ParseAddress(ip, m.host_port, &a)) {
    *e = {EINVAL, "invalid host address " + ip};
    return false;
  }
  int fd = socket(a.sa.ss_family, (m.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *e = {errno, NodeMessage(m.udp, errno, ip, m.host_port)};
    return false;
  }
  int one = 1, zero = 0;
  // As Node's listeners: TCP may take a port whose old connections linger in TIME_WAIT; "::"
  // answers IPv4 too (a dual-stack socket), as Docker's two bindings do.
  if (!m.udp) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (a.sa.ss_family == AF_INET6 && ip == "::") setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a.sa), a.len) < 0 || (!m.udp && listen(fd, 511) < 0)) {
    *e = {errno, NodeMessage(m.udp, errno, ip, m.host_port)};
    close(fd);
    return false;
  }
  l->fd = fd;
  l->udp = m.udp;
  return true;
}

bool Bind(const Mapping& m, Listener* l, BindError* e) {
  if (!m.host_ip.empty()) return BindOne(m, m.host_ip, l, e);
  if (m.udp) return BindOne(m, "0.0.0.0", l, e);
  // No address given: "::" (dual stack); a host without IPv6 falls back to 0.0.0.0.
  if (BindOne(m, "::", l, e)) return true;
  if (e->err != EAFNOSUPPORT && e->err != EADDRNOTAVAIL) return false;
  return BindOne(m, "0.0.0.0", l, e);
}

int BoundPort(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) < 0) return 0;
  return ntohs(sa.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port : reinterpret_cast<sockaddr_in*>(&sa)->sin_port);
}

// "10.88.0.2:80", "[::]:8080": as a URL writes an address and port.
std::string HostPort(const std::string& ip, int port) {
  return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// The address and port a listener got, as "[::]:8080" or "127.0.0.1:8080".
std::string BoundAddress(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  char ip[INET6_ADDRSTRLEN] = "?";
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) < 0) return ip;
  const void* addr = sa.ss_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&sa)->sin6_addr) : &reinterpret_cast<sockaddr_in*>(&sa)->sin_addr;
  inet_ntop(sa.ss_family, addr, ip, sizeof ip);
  return HostPort(ip, BoundPort(fd));
}

void Report(const std::string& line) {
  std::string s = line + "\n";
  for (size_t off = 0; off < s.size();) {
    ssize_t w = write(1, s.data() + off, s.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the starter went: it will find no proxy and start one again
    off += static_cast<size_t>(w);
  }
}

int Usage(const char* why) {
  fprintf(stderr, "berth-port-proxy: %s\nusage: berth-port-proxy %s <host id> <container id> <target ip> <tcp|udp>,<host ip>,<host port>,<container port>...\n", why, kMarker);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || std::string(argv[1]) != kMarker) return Usage("missing arguments");
  std::string target = argv[4];
  berth::portproxy::SetLogContainer(argv[3]);
  std::vector<Mapping> mappings;
  for (int i = 5; i < argc; i++) {
    Mapping m;
    if (!ParseMapping(argv[i], &m)) return Usage((std::string("bad mapping ") + argv[i]).c_str());
    mappings.push_back(m);
  }
  Address probe;
  if (!ParseAddress(target, 1, &probe)) return Usage(("bad target address " + target).c_str());

  // Before binding: a SIGTERM from a worker that gives up must not be lost.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  int sfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
  // A worker's terminal going away must not end the ports; a peer gone mid-write neither.
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  if (sfd < 0) return Usage("signalfd failed");

  std::vector<Listener> listeners(mappings.size());
  std::string ports;
  for (size_t i = 0; i < mappings.size(); i++) {
    BindError e;
    if (!Bind(mappings[i], &listeners[i], &e)) {
      const char* code = strerrorname_np(e.err);
      Report("{\"error\":{\"index\":" + std::to_string(i) + (code ? ",\"code\":" + Json(code) : "") + ",\"message\":" + Json(e.message) + "}}");
      return 1;
    }
    ParseAddress(target, mappings[i].container_port, &listeners[i].target);
    listeners[i].log.published = std::string(mappings[i].udp ? "udp " : "tcp ") + BoundAddress(listeners[i].fd);
    listeners[i].log.target = HostPort(target, mappings[i].container_port);
    ports += (i ? "," : "") + std::to_string(BoundPort(listeners[i].fd));
  }
  Report("{\"ports\":[" + ports + "]}");
  // Nothing of the starter's stays open: its pipe closes here, so it stops waiting. stderr
  // stays: the log of failed connections (the worker gives a file, see port_proxy_log.h).
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    if (null > 1) close(null);
  }
  return berth::portproxy::Run(listeners, sfd);
}
