// Minimal rtnetlink client: one request at a time, each acknowledged (NLM_F_ACK).
#include "netlink.h"

#include <net/if.h>  // before the linux/ headers: glibc and uapi both define ifreq
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

#include "unique_fd.h"

namespace berth {
namespace {

// A request under construction: header, fixed part, then attributes (nested ones by offset).
class Request {
 public:
  Request(uint16_t type, uint16_t flags) {
    buf_.resize(NLMSG_HDRLEN);
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  }
  template <typename T>
  T* Fixed() {
    size_t off = buf_.size();
    buf_.resize(off + NLMSG_ALIGN(sizeof(T)));
    return reinterpret_cast<T*>(buf_.data() + off);
  }
  void Attr(uint16_t type, const void* data, size_t len) {
    size_t off = buf_.size();
    buf_.resize(off + RTA_ALIGN(RTA_LENGTH(len)));
    auto* rta = reinterpret_cast<struct rtattr*>(buf_.data() + off);
    rta->rta_type = type;
    rta->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    if (len) std::memcpy(RTA_DATA(rta), data, len);
  }
  void Str(uint16_t type, const std::string& s) { Attr(type, s.c_str(), s.size() + 1); }
  void U32(uint16_t type, uint32_t v) { Attr(type, &v, sizeof v); }
  size_t Begin(uint16_t type) {
    size_t off = buf_.size();
    Attr(type, nullptr, 0);
    return off;
  }
  void End(size_t off) {
    reinterpret_cast<struct rtattr*>(buf_.data() + off)->rta_len = static_cast<uint16_t>(buf_.size() - off);
  }
  // The fixed part of a nested message (VETH_INFO_PEER carries an ifinfomsg).
  struct ifinfomsg* NestedIfinfo() { return Fixed<struct ifinfomsg>(); }
  std::vector<char>& Finish() {
    hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return buf_;
  }

 private:
  struct nlmsghdr* hdr() { return reinterpret_cast<struct nlmsghdr*>(buf_.data()); }
  std::vector<char> buf_;
};

int Open(Error* e) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return SetError(e, "network", errno, "socket", "NETLINK_ROUTE");
  return fd;
}

// Sends one request and waits for its ack; returns 0 or -errno.
int Talk(int fd, Request& r) {
  std::vector<char>& msg = r.Finish();
  struct sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<struct sockaddr*>(&kernel), sizeof kernel) < 0) return -errno;
  char reply[8192];
  for (;;) {
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (auto* h = reinterpret_cast<struct nlmsghdr*>(reply); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_ERROR) return reinterpret_cast<struct nlmsgerr*>(NLMSG_DATA(h))->error;
    }
  }
}

int LinkUp(int fd, int index) {
  Request r(RTM_NEWLINK, 0);
  struct ifinfomsg* ifi = r.Fixed<struct ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return Talk(fd, r);
}

// Inside the container's namespace (the calling thread is there): address, up, route.
int ConfigureInside(const VethSpec& s, Error* e) {
  unique_fd fd(Open(e));
  if (!fd) return -1;
  const int lo = static_cast<int>(if_nametoindex("lo"));
  if (lo > 0) {
    int rc = LinkUp(fd.get(), lo);
    if (rc < 0) return SetError(e, "network", -rc, "RTM_NEWLINK", "lo");
  }
  const int index = static_cast<int>(if_nametoindex(s.ifname.c_str()));
  if (index <= 0) return SetError(e, "network", errno, "if_nametoindex", s.ifname);
  {
    Request r(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    struct ifaddrmsg* ifa = r.Fixed<struct ifaddrmsg>();
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = s.prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = static_cast<uint32_t>(index);
    r.Attr(IFA_LOCAL, &s.address, 4);
    r.Attr(IFA_ADDRESS, &s.address, 4);
    uint32_t mask = s.prefix ? htonl(~0u << (32 - s.prefix)) : 0;
    uint32_t brd = (s.address & mask) | ~mask;
    r.Attr(IFA_BROADCAST, &brd, 4);
    int rc = Talk(fd.get(), r);
    if (rc < 0) return SetError(e, "network", -rc, "RTM_NEWADDR", s.ifname);
  }
  int rc = LinkUp(fd.get(), index);
  if (rc < 0) return SetError(e, "network", -rc, "RTM_NEWLINK", s.ifname);
  if (s.gateway) {
    Request r(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    struct rtmsg* rt = r.Fixed<struct rtmsg>();
    rt->rtm_family = AF_INET;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = RT_SCOPE_UNIVERSE;
    rt->rtm_type = RTN_UNICAST;
    r.Attr(RTA_GATEWAY, &s.gateway, 4);
    r.U32(RTA_OIF, static_cast<uint32_t>(index));
    rc = Talk(fd.get(), r);
    if (rc < 0) return SetError(e, "network", -rc, "RTM_NEWROUTE", s.ifname);
  }
  return 0;
}

// Runs `fn` on a new thread that first joins the namespace of `netns_fd`, and waits for it.
template <typename Fn>
int InNetns(int netns_fd, Error* e, Fn fn) {
  int rc = 0;
  auto body = [&] {
    if (setns(netns_fd, CLONE_NEWNET) < 0) {
      rc = SetError(e, "network", errno, "setns", "net");
      return;
    }
    rc = fn();
  };
  try {
    std::thread(body).join();
  } catch (const std::system_error& err) {
    return SetError(e, "network", err.code().value(), "pthread_create");
  }
  return rc;
}

}  // namespace

int AttachVeth(int netns_fd, const VethSpec& s, Error* e) {
  if (s.host_ifname.empty() || s.host_ifname.size() >= IFNAMSIZ || s.ifname.empty() || s.ifname.size() >= IFNAMSIZ)
    return SetMessage(e, "network", "interface names must be 1 to 15 bytes");
  const unsigned bridge = if_nametoindex(s.bridge.c_str());
  if (bridge == 0) return SetError(e, "network", errno, "if_nametoindex", s.bridge);
  unique_fd fd(Open(e));
  if (!fd) return -1;
  {
    Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg* ifi = r.Fixed<struct ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_flags = IFF_UP;  // applied at creation, as `ip link add ... up`
    ifi->ifi_change = IFF_UP;
    r.Str(IFLA_IFNAME, s.host_ifname);
    r.U32(IFLA_MTU, s.mtu);
    r.U32(IFLA_MASTER, bridge);
    size_t info = r.Begin(IFLA_LINKINFO);
    r.Str(IFLA_INFO_KIND, "veth");
    size_t data = r.Begin(IFLA_INFO_DATA);
    size_t peer = r.Begin(VETH_INFO_PEER);
    struct ifinfomsg* pi = r.NestedIfinfo();
    pi->ifi_family = AF_UNSPEC;
    r.Str(IFLA_IFNAME, s.ifname);
    r.U32(IFLA_MTU, s.mtu);
    if (s.has_mac) r.Attr(IFLA_ADDRESS, s.mac, 6);
    r.U32(IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
    r.End(peer);
    r.End(data);
    r.End(info);
    int rc = Talk(fd.get(), r);
    if (rc < 0) return SetError(e, "network", -rc, "RTM_NEWLINK", s.host_ifname);
  }
  int rc = InNetns(netns_fd, e, [&] { return ConfigureInside(s, e); });
  if (rc < 0) DeleteLink(-1, s.host_ifname, nullptr);  // the peer goes with it
  return rc;
}

int DeleteLink(int netns_fd, const std::string& ifname, Error* e) {
  auto del = [&]() -> int {
    Error ignored;
    Error* err = e ? e : &ignored;
    unique_fd fd(Open(err));
    if (!fd) return -1;
    Request r(RTM_DELLINK, 0);
    struct ifinfomsg* ifi = r.Fixed<struct ifinfomsg>();
    ifi->ifi_family = AF_UNSPEC;
    r.Str(IFLA_IFNAME, ifname);
    int rc = Talk(fd.get(), r);
    if (rc < 0) return SetError(err, "network", -rc, "RTM_DELLINK", ifname);
    return 0;
  };
  if (netns_fd < 0) return del();
  Error ignored;
  return InNetns(netns_fd, e ? e : &ignored, del);
}

}  // namespace berth
