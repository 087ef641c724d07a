#include "caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>

namespace berth {
namespace {

constexpr const char* kNames[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int kKnown = sizeof kNames / sizeof kNames[0];

}  // namespace

int CapFromName(const std::string& raw) {
  std::string name;
  for (char c : raw) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name == "ALL") return -2;
  if (name.compare(0, 4, "CAP_") != 0) name = "CAP_" + name;
  for (int i = 0; i < kKnown; ++i) {
    if (name == kNames[i]) return i;
  }
  return -1;
}

const char* CapName(int cap) { return cap >= 0 && cap < kKnown ? kNames[cap] : nullptr; }

int LastCap() {
  static int cached = -1;
  if (cached >= 0) return cached;
  int v = -1;
  std::ifstream f("/proc/sys/kernel/cap_last_cap");
  if (!(f >> v) || v < 0 || v > 63) v = kKnown - 1;
  cached = v;
  return v;
}

int ComputeCaps(const std::vector<std::string>& add, const std::vector<std::string>& drop, uid_t uid,
                CapSets* out, Error* e) {
  const int last = LastCap();
  const uint64_t all = last >= 63 ? ~0ULL : ((1ULL << (last + 1)) - 1);
  // Docker's order (moby's TweakCapabilities): --cap-add ALL is every cap but the dropped ones;
  // --cap-drop ALL is just the added ones; otherwise the defaults minus the dropped, plus the added.
  uint64_t add_set = 0, drop_set = 0;
  bool add_all = false, drop_all = false;
  for (const std::string& n : add) {
    int c = CapFromName(n);
    if (c == -1) return SetMessage(e, "capabilities", "unknown capability " + n);
    if (c == -2) add_all = true;
    else add_set |= 1ULL << c;
  }
  for (const std::string& n : drop) {
    int c = CapFromName(n);
    if (c == -1) return SetMessage(e, "capabilities", "unknown capability " + n);
    if (c == -2) drop_all = true;
    else drop_set |= 1ULL << c;
  }
  uint64_t set;
  if (add_all) set = all & ~drop_set;
  else if (drop_all) set = add_set;
  else set = ((kDockerDefaultCaps & all) & ~drop_set) | add_set;
  set &= all;
  out->bounding = set;
  out->effective = out->permitted = uid == 0 ? set : 0;
  out->inheritable = 0;
  out->ambient = 0;
  return 0;
}

int DropBounding(uint64_t keep, int last_cap, ChildError* e) noexcept {
  for (int cap = 0; cap <= last_cap; ++cap) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return Fail(e, kStageCapabilities, "prctl", "PR_CAPBSET_DROP");
  }
  return 0;
}

int SetCaps(const CapSets& caps, int last_cap, ChildError* e) noexcept {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  data[0].effective = static_cast<uint32_t>(caps.effective);
  data[1].effective = static_cast<uint32_t>(caps.effective >> 32);
  data[0].permitted = static_cast<uint32_t>(caps.permitted);
  data[1].permitted = static_cast<uint32_t>(caps.permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(caps.inheritable);
  data[1].inheritable = static_cast<uint32_t>(caps.inheritable >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) return Fail(e, kStageCapabilities, "capset", nullptr);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return Fail(e, kStageCapabilities, "prctl", "PR_CAP_AMBIENT_CLEAR_ALL");
  for (int cap = 0; cap <= last_cap; ++cap) {
    if (!(caps.ambient & (1ULL << cap))) continue;
    // Only a cap both permitted and inheritable can be ambient; like runc, skip the others
    // (`crun spec` lists ambient caps with an empty inheritable set).
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM)
      return Fail(e, kStageCapabilities, "prctl", "PR_CAP_AMBIENT_RAISE");
  }
  return 0;
}

}  // namespace berth
