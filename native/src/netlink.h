// rtnetlink, parent side only (allocates): veth pairs into a container's network
// namespace and their configuration there. No `ip` subprocess: a container start
// costs a few netlink round trips instead of several process spawns.
#pragma once

#include <sys/types.h>

#include <string>

#include "config.h"
#include "veth.h"

namespace berth {

// Creates the pair (host end on `spec.bridge`, up; peer named `spec.ifname` in the
// namespace of `netns_fd`), then inside that namespace sets the peer's address, brings
// it and lo up, and adds the default route via the gateway. Runs the in-namespace part on
// a short-lived thread (setns affects only the calling thread). Stage "network".
int AttachVeth(int netns_fd, const VethSpec& spec, Error* e);

// Deletes a link by name in the namespace of `netns_fd` (-1: the caller's). ENODEV if absent.
int DeleteLink(int netns_fd, const std::string& ifname, Error* e);

}  // namespace berth
