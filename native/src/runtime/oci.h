// An OCI runtime-spec bundle (config.json) as a ContainerConfig: the subset
// berth-runtime supports; what it ignores comes back as warnings.
#pragma once

#include <string>
#include <vector>

#include "../config.h"

namespace berth {

struct OciBundle {
  ContainerConfig config;
  bool terminal = false;
  std::vector<std::string> warnings;
};

// `bundle` is an absolute directory; `id` names the default cgroup ("berth-runtime/<id>").
bool LoadOciBundle(const std::string& bundle, const std::string& id, OciBundle* out, std::string* error);

int SignalFromName(const std::string& name);  // "KILL", "SIGKILL", "9" -> 9; -1 if unknown

}  // namespace berth
