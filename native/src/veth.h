// A container's end of a bridge network, as plain data (no dependencies, so config.h can hold it).
#pragma once

#include <cstdint>
#include <string>

namespace berth {

struct VethSpec {
  std::string bridge;       // host bridge the host end joins
  std::string host_ifname;  // host end, e.g. "vb<hostid><n>" (at most 15 bytes)
  std::string ifname;       // inside the container, e.g. "eth0"
  uint8_t mac[6] = {};
  bool has_mac = false;
  uint32_t address = 0;     // network byte order
  uint8_t prefix = 0;
  uint32_t gateway = 0;     // network byte order; 0 = no default route
  uint32_t mtu = 1500;
};

}  // namespace berth
