#include "cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "devices.h"

namespace berth {
namespace {

// Controllers Berth creates its cgroups in (v1 hierarchies / v2 subtree_control).
constexpr const char* kV1Controllers[] = {"memory", "cpu", "cpuacct", "pids", "cpuset", "freezer", "blkio", "devices"};
constexpr const char* kV2Controllers[] = {"cpu", "cpuset", "io", "memory", "pids"};

bool ReadFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out->append(buf, n);
  int err = errno;
  close(fd);
  errno = err;
  return n == 0;
}

int WriteFile(const std::string& path, const std::string& value, Error* e) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return SetError(e, "cgroup", errno, "open", path);
  ssize_t n = write(fd, value.data(), value.size());
  int err = errno;
  close(fd);
  if (n < 0) return SetError(e, "cgroup", err, "write", path);
  return 0;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

int64_t ReadInt(const std::string& path) {
  std::string s;
  if (!ReadFile(path, &s)) return -1;
  s = Trim(s);
  if (s == "max") return -1;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  return end == s.c_str() ? -1 : v;
}

// "key value" lines (memory.events, cpu.stat, memory.oom_control).
int64_t ReadKey(const std::string& path, const char* key) {
  std::string s;
  if (!ReadFile(path, &s)) return -1;
  std::istringstream in(s);
  std::string k;
  long long v;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return -1;
}

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// Unescapes mountinfo's octal escapes (\040 for space).
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

CgroupLayout Detect() {
  CgroupLayout l;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::string v2_mount;
  while (std::getline(in, line)) {
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, dev, root, mountpoint;
    head >> id >> parent >> dev >> root >> mountpoint;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype, source, superopts;
    tail >> fstype >> source >> superopts;
    mountpoint = Unescape(mountpoint);
    if (fstype == "cgroup2") {
      if (v2_mount.empty() || mountpoint == "/sys/fs/cgroup") v2_mount = mountpoint;
    } else if (fstype == "cgroup") {
      CgroupLayout::Hierarchy h;
      h.mount = mountpoint;
      for (const std::string& opt : Split(superopts, ',')) {
        for (const char* c : kV1Controllers) {
          if (opt == c) h.controllers.push_back(opt);
        }
      }
      if (!h.controllers.empty()) l.v1.push_back(h);
    }
  }
  const char* mode = std::getenv("BERTH_CGROUP_MODE");
  const bool force_v2 = mode != nullptr && std::strcmp(mode, "v2") == 0;
  if (!v2_mount.empty() && (force_v2 || l.v1.empty() || v2_mount == "/sys/fs/cgroup")) {
    l.version = 2;
    l.v2_root = v2_mount;
    l.v1.clear();
  } else if (!l.v1.empty()) {
    l.version = 1;
  }
  return l;
}

std::vector<std::string> Components(const std::string& path) {
  std::vector<std::string> out;
  for (const std::string& c : Split(path, '/')) {
    if (!c.empty()) out.push_back(c);
  }
  return out;
}

int MakeDir(const std::string& dir, bool* created, Error* e) {
  *created = false;
  if (mkdir(dir.c_str(), 0755) == 0) {
    *created = true;
    return 0;
  }
  if (errno == EEXIST) return 0;
  return SetError(e, "cgroup", errno, "mkdir", dir);
}

bool Has(const std::vector<std::string>& v, const std::string& s) {
  for (const std::string& x : v) {
    if (x == s) return true;
  }
  return false;
}

// v1 cpuset: a new cgroup starts with no cpus/mems and refuses tasks; inherit the parent's.
int InheritCpuset(const std::string& parent, const std::string& dir, Error* e) {
  for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
    std::string mine;
    if (ReadFile(dir + "/" + f, &mine) && !Trim(mine).empty()) continue;
    std::string theirs;
    if (!ReadFile(parent + "/" + f, &theirs)) return SetError(e, "cgroup", errno, "read", parent + "/" + f);
    if (WriteFile(dir + "/" + f, Trim(theirs), e) < 0) return -1;
  }
  return 0;
}

int CreateV2(const CgroupLayout& l, const CgroupSpec& s, CgroupHandle* out, Error* e) {
  std::string dir = l.v2_root;
  const std::vector<std::string> parts = Components(s.path);
  for (size_t i = 0; i < parts.size(); ++i) {
    // Enable the controllers for the level below.
    std::string available, enabled;
    ReadFile(dir + "/cgroup.controllers", &available);
    ReadFile(dir + "/cgroup.subtree_control", &enabled);
    const std::vector<std::string> avail = Split(Trim(available), ' ');
    const std::vector<std::string> on = Split(Trim(enabled), ' ');
    std::string want;
    for (const char* c : kV2Controllers) {
      if (Has(avail, c) && !Has(on, c)) want += std::string(want.empty() ? "" : " ") + "+" + c;
    }
    if (!want.empty() && WriteFile(dir + "/cgroup.subtree_control", want, e) < 0) return -1;
    dir += "/" + parts[i];
    bool created = false;
    if (MakeDir(dir, &created, e) < 0) return -1;
    if (created && i + 1 == parts.size()) out->created.push_back(dir);
  }
  auto need = [&](const char* file, const char* what) -> int {
    if (Exists(dir + "/" + file)) return 0;
    return SetMessage(e, "cgroup", std::string("cgroup v2 at ") + l.v2_root + ": the " + what +
                                       " controller is not available (" + file + " missing)");
  };
  if (s.memory >= 0) {
    if (need("memory.max", "memory") < 0 || WriteFile(dir + "/memory.max", std::to_string(s.memory), e) < 0)
      return -1;
    if (Exists(dir + "/memory.swap.max")) {
      std::string swap = s.memory_swap < 0 ? "max" : std::to_string(s.memory_swap > s.memory ? s.memory_swap - s.memory : 0);
      if (WriteFile(dir + "/memory.swap.max", swap, e) < 0) return -1;
    }
  }
  if (s.cpu_quota > 0) {
    if (need("cpu.max", "cpu") < 0 ||
        WriteFile(dir + "/cpu.max", std::to_string(s.cpu_quota) + " " + std::to_string(s.cpu_period), e) < 0)
      return -1;
  }
  if (s.cpu_shares > 0) {
    // runc's conversion of v1 shares [2, 262144] to v2 weight [1, 10000].
    uint64_t shares = s.cpu_shares < 2 ? 2 : (s.cpu_shares > 262144 ? 262144 : s.cpu_shares);
    uint64_t weight = 1 + ((shares - 2) * 9999) / 262142;
    if (need("cpu.weight", "cpu") < 0 || WriteFile(dir + "/cpu.weight", std::to_string(weight), e) < 0) return -1;
  }
  if (s.pids_limit > 0) {
    if (need("pids.max", "pids") < 0 || WriteFile(dir + "/pids.max", std::to_string(s.pids_limit), e) < 0)
      return -1;
  }
  if (!s.cpuset_cpus.empty() &&
      (need("cpuset.cpus", "cpuset") < 0 || WriteFile(dir + "/cpuset.cpus", s.cpuset_cpus, e) < 0))
    return -1;
  if (!s.cpuset_mems.empty() &&
      (need("cpuset.mems", "cpuset") < 0 || WriteFile(dir + "/cpuset.mems", s.cpuset_mems, e) < 0))
    return -1;
  if (s.restrict_devices && RestrictDevicesV2(dir, e) < 0) return -1;
  int fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return SetError(e, "cgroup", errno, "open", dir + "/cgroup.procs");
  out->procs.emplace_back(fd);
  return 0;
}

int CreateV1(const CgroupLayout& l, const CgroupSpec& s, CgroupHandle* out, Error* e) {
  const std::vector<std::string> parts = Components(s.path);
  auto require = [&](const char* controller) -> const CgroupLayout::Hierarchy* {
    const CgroupLayout::Hierarchy* h = l.Find(controller);
    if (h == nullptr) SetMessage(e, "cgroup", std::string("cgroup v1: no ") + controller + " hierarchy is mounted");
    return h;
  };
  for (const CgroupLayout::Hierarchy& h : l.v1) {
    std::string dir = h.mount;
    const bool cpuset = Has(h.controllers, "cpuset");
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string parent = dir;
      dir += "/" + parts[i];
      bool created = false;
      if (MakeDir(dir, &created, e) < 0) return -1;
      if (created && i + 1 == parts.size()) out->created.push_back(dir);
      if (cpuset && InheritCpuset(parent, dir, e) < 0) return -1;
    }
  }
  auto dir_of = [&](const CgroupLayout::Hierarchy* h) { return h->mount + "/" + s.path; };
  if (s.memory >= 0) {
    const CgroupLayout::Hierarchy* h = require("memory");
    if (h == nullptr) return -1;
    const std::string d = dir_of(h);
    if (WriteFile(d + "/memory.limit_in_bytes", std::to_string(s.memory), e) < 0) return -1;
    // memsw exists only with swap accounting; without it there is no swap limit to set.
    if (Exists(d + "/memory.memsw.limit_in_bytes")) {
      const std::string v = s.memory_swap < 0 ? "-1" : std::to_string(s.memory_swap < s.memory ? s.memory : s.memory_swap);
      if (WriteFile(d + "/memory.memsw.limit_in_bytes", v, e) < 0) return -1;
    }
  }
  if (s.cpu_quota > 0 || s.cpu_shares > 0) {
    const CgroupLayout::Hierarchy* h = require("cpu");
    if (h == nullptr) return -1;
    const std::string d = dir_of(h);
    if (s.cpu_quota > 0) {
      if (WriteFile(d + "/cpu.cfs_period_us", std::to_string(s.cpu_period), e) < 0) return -1;
      if (WriteFile(d + "/cpu.cfs_quota_us", std::to_string(s.cpu_quota), e) < 0) return -1;
    }
    if (s.cpu_shares > 0 && WriteFile(d + "/cpu.shares", std::to_string(s.cpu_shares), e) < 0) return -1;
  }
  if (s.pids_limit > 0) {
    const CgroupLayout::Hierarchy* h = require("pids");
    if (h == nullptr || WriteFile(dir_of(h) + "/pids.max", std::to_string(s.pids_limit), e) < 0) return -1;
  }
  if (!s.cpuset_cpus.empty() || !s.cpuset_mems.empty()) {
    const CgroupLayout::Hierarchy* h = require("cpuset");
    if (h == nullptr) return -1;
    if (!s.cpuset_cpus.empty() && WriteFile(dir_of(h) + "/cpuset.cpus", s.cpuset_cpus, e) < 0) return -1;
    if (!s.cpuset_mems.empty() && WriteFile(dir_of(h) + "/cpuset.mems", s.cpuset_mems, e) < 0) return -1;
  }
  if (s.restrict_devices) {
    const CgroupLayout::Hierarchy* h = require("devices");
    if (h == nullptr || RestrictDevicesV1(dir_of(h), e) < 0) return -1;
  }
  for (const CgroupLayout::Hierarchy& h : l.v1) {
    const std::string f = dir_of(&h) + "/cgroup.procs";
    int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return SetError(e, "cgroup", errno, "open", f);
    out->procs.emplace_back(fd);
  }
  return 0;
}

std::vector<pid_t> Procs(const std::string& dir) {
  std::vector<pid_t> out;
  std::string s;
  if (!ReadFile(dir + "/cgroup.procs", &s)) return out;
  std::istringstream in(s);
  long p;
  while (in >> p) out.push_back(static_cast<pid_t>(p));
  return out;
}

std::vector<std::string> SubDirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* ent = readdir(d)) {
    if (ent->d_type == DT_DIR && std::strcmp(ent->d_name, ".") != 0 && std::strcmp(ent->d_name, "..") != 0)
      out.push_back(dir + "/" + ent->d_name);
  }
  closedir(d);
  return out;
}

// Removes `dir` and its children, killing their processes; `freezer` is the
// v1 freezer dir of the same cgroup ("" if none) so a fork bomb cannot outrun the kill.
int RemoveTree(const std::string& dir, const std::string& freezer, bool v2, Error* e) {
  if (!Exists(dir)) return 0;
  for (const std::string& sub : SubDirs(dir)) {
    std::string sub_freezer = freezer.empty() ? "" : freezer + sub.substr(dir.size());
    if (RemoveTree(sub, sub_freezer, v2, e) < 0) return -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool killed_via_file = false;
  if (v2 && Exists(dir + "/cgroup.kill")) {
    Error ignored;
    killed_via_file = WriteFile(dir + "/cgroup.kill", "1", &ignored) == 0;
  }
  for (int attempt = 0;; ++attempt) {
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT) return 0;
    if (errno != EBUSY) return SetError(e, "cgroup", errno, "rmdir", dir);
    if (std::chrono::steady_clock::now() > deadline) return SetError(e, "cgroup", EBUSY, "rmdir", dir);
    if (!killed_via_file || attempt % 50 == 49) {
      Error ignored;
      const bool frozen = !freezer.empty() && WriteFile(freezer + "/freezer.state", "FROZEN", &ignored) == 0;
      for (pid_t p : Procs(dir)) kill(p, SIGKILL);
      if (frozen) WriteFile(freezer + "/freezer.state", "THAWED", &ignored);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 20 ? 1 : 10));
  }
}


// Sums "key=value" fields over the device lines of v2 io.stat.
int64_t SumIoStat(const std::string& path, const char* key) {
  std::string s;
  if (!ReadFile(path, &s)) return -1;
  const std::string want = std::string(key) + "=";
  int64_t total = 0;
  std::istringstream in(s);
  std::string tok;
  while (in >> tok) {
    if (tok.compare(0, want.size(), want) == 0) total += std::strtoll(tok.c_str() + want.size(), nullptr, 10);
  }
  return total;
}

// Sums the "<dev> <Op> <bytes>" lines of v1 blkio.throttle.io_service_bytes for one Op.
int64_t SumBlkio(const std::string& path, const char* op) {
  std::string s;
  if (!ReadFile(path, &s)) return -1;
  int64_t total = 0;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string dev, name;
    long long v = 0;
    if (l >> dev >> name >> v && name == op) total += v;
  }
  return total;
}

// Polls `check` until it holds or `timeout` passes (freezing waits for every task to stop).
template <typename F>
bool WaitUntil(F check, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int attempt = 0;; ++attempt) {
    if (check()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 20 ? 1 : 10));
  }
}

}  // namespace

int SetError(Error* e, const char* stage, int err, const char* syscall, const std::string& path) {
  e->stage = stage;
  e->err = err;
  e->syscall = syscall;
  e->path = path;
  e->message.clear();
  return -1;
}

int SetMessage(Error* e, const char* stage, const std::string& message) {
  e->stage = stage;
  e->err = 0;
  e->syscall.clear();
  e->path.clear();
  e->message = message;
  return -1;
}

const CgroupLayout::Hierarchy* CgroupLayout::Find(const char* controller) const {
  for (const Hierarchy& h : v1) {
    if (Has(h.controllers, controller)) return &h;
  }
  return nullptr;
}

const CgroupLayout& DetectCgroups() {
  static std::once_flag once;
  static CgroupLayout layout;
  std::call_once(once, [] { layout = Detect(); });
  return layout;
}

int CreateCgroup(const CgroupSpec& spec, CgroupHandle* out, Error* e) {
  const CgroupLayout& l = DetectCgroups();
  if (l.version == 0) return SetMessage(e, "cgroup", "no cgroup filesystem is mounted");
  int rc = l.version == 2 ? CreateV2(l, spec, out, e) : CreateV1(l, spec, out, e);
  if (rc < 0) {
    out->procs.clear();
    RemoveCreated(out->created);
    out->created.clear();
  }
  return rc;
}

void RemoveCreated(const std::vector<std::string>& dirs) {
  for (const std::string& d : dirs) rmdir(d.c_str());
}

int OpenCgroupsOf(pid_t pid, std::vector<unique_fd>* out, Error* e) {
  const CgroupLayout& l = DetectCgroups();
  const std::string file = "/proc/" + std::to_string(pid) + "/cgroup";
  std::string s;
  if (!ReadFile(file, &s)) return SetError(e, "cgroup", errno, "open", file);
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    std::string dir;
    if (controllers.empty()) {
      if (l.version != 2) continue;
      dir = l.v2_root + path;
    } else {
      if (l.version != 1) continue;
      const std::string first = Split(controllers, ',')[0];
      const CgroupLayout::Hierarchy* h = l.Find(first.c_str());
      if (h == nullptr) continue;
      dir = h->mount + path;
    }
    int fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return SetError(e, "cgroup", errno, "open", dir + "/cgroup.procs");
    out->emplace_back(fd);
  }
  return 0;
}

int ReadCgroupStats(const std::string& path, CgroupStats* out, Error* e) {
  const CgroupLayout& l = DetectCgroups();
  if (l.version == 2) {
    const std::string d = l.v2_root + "/" + path;
    if (!Exists(d)) return SetError(e, "cgroup", ENOENT, "stat", d);
    out->memory = ReadInt(d + "/memory.current");
    out->memory_limit = ReadInt(d + "/memory.max");
    int64_t usec = ReadKey(d + "/cpu.stat", "usage_usec");
    out->cpu_ns = usec < 0 ? -1 : usec * 1000;
    out->pids = ReadInt(d + "/pids.current");
    if (out->pids < 0) out->pids = static_cast<int64_t>(Procs(d).size());
    out->oom_kills = ReadKey(d + "/memory.events", "oom_kill");
    out->io_read = SumIoStat(d + "/io.stat", "rbytes");
    out->io_write = SumIoStat(d + "/io.stat", "wbytes");
    return 0;
  }
  if (l.version == 1) {
    bool any = false;
    if (const CgroupLayout::Hierarchy* h = l.Find("memory")) {
      const std::string d = h->mount + "/" + path;
      if (Exists(d)) {
        any = true;
        out->memory = ReadInt(d + "/memory.usage_in_bytes");
        int64_t limit = ReadInt(d + "/memory.limit_in_bytes");
        out->memory_limit = limit >= (INT64_C(1) << 62) ? -1 : limit;  // "unlimited" is PAGE_COUNTER_MAX
        out->oom_kills = ReadKey(d + "/memory.oom_control", "oom_kill");
      }
    }
    if (const CgroupLayout::Hierarchy* h = l.Find("cpuacct")) {
      const std::string d = h->mount + "/" + path;
      if (Exists(d)) {
        any = true;
        out->cpu_ns = ReadInt(d + "/cpuacct.usage");
      }
    }
    if (const CgroupLayout::Hierarchy* h = l.Find("pids")) {
      const std::string d = h->mount + "/" + path;
      if (Exists(d)) {
        any = true;
        out->pids = ReadInt(d + "/pids.current");
      }
    }
    if (const CgroupLayout::Hierarchy* h = l.Find("blkio")) {
      const std::string d = h->mount + "/" + path;
      if (Exists(d)) {
        any = true;
        out->io_read = SumBlkio(d + "/blkio.throttle.io_service_bytes", "Read");
        out->io_write = SumBlkio(d + "/blkio.throttle.io_service_bytes", "Write");
      }
    }
    if (!any) return SetError(e, "cgroup", ENOENT, "stat", path);
    return 0;
  }
  return SetMessage(e, "cgroup", "no cgroup filesystem is mounted");
}

int FreezeCgroup(const std::string& path, bool frozen, Error* e) {
  const CgroupLayout& l = DetectCgroups();
  const auto timeout = std::chrono::seconds(10);
  if (l.version == 2) {
    const std::string d = l.v2_root + "/" + path;
    if (!Exists(d)) return SetError(e, "cgroup", ENOENT, "stat", d);
    if (WriteFile(d + "/cgroup.freeze", frozen ? "1" : "0", e) < 0) return -1;
    const std::string want = frozen ? "frozen 1" : "frozen 0";
    const bool ok = WaitUntil([&] {
      std::string ev;
      return ReadFile(d + "/cgroup.events", &ev) && ev.find(want) != std::string::npos;
    }, timeout);
    if (!ok) return SetError(e, "cgroup", ETIMEDOUT, "read", d + "/cgroup.events");
    return 0;
  }
  if (l.version == 1) {
    const CgroupLayout::Hierarchy* fz = l.Find("freezer");
    if (fz == nullptr) return SetMessage(e, "cgroup", "the freezer controller is not mounted: pause needs it");
    const std::string file = fz->mount + "/" + path + "/freezer.state";
    if (!Exists(file)) return SetError(e, "cgroup", ENOENT, "stat", file);
    const std::string want = frozen ? "FROZEN" : "THAWED";
    // Writing FROZEN again moves a cgroup stuck in FREEZING along (a task was in a syscall).
    const bool ok = WaitUntil([&] {
      Error ignored;
      WriteFile(file, want, &ignored);
      std::string st;
      return ReadFile(file, &st) && Trim(st) == want;
    }, timeout);
    if (!ok) return SetError(e, "cgroup", ETIMEDOUT, "write", file);
    return 0;
  }
  return SetMessage(e, "cgroup", "no cgroup filesystem is mounted");
}

int RemoveCgroup(const std::string& path, Error* e) {
  const CgroupLayout& l = DetectCgroups();
  if (l.version == 2) return RemoveTree(l.v2_root + "/" + path, "", true, e);
  if (l.version != 1) return 0;
  const CgroupLayout::Hierarchy* fz = l.Find("freezer");
  const std::string freezer = fz != nullptr ? fz->mount + "/" + path : "";
  // The freezer hierarchy last: it stops forks while the others are emptied.
  for (const CgroupLayout::Hierarchy& h : l.v1) {
    if (&h == fz) continue;
    if (RemoveTree(h.mount + "/" + path, Exists(freezer) ? freezer : "", false, e) < 0) return -1;
  }
  if (fz != nullptr && RemoveTree(freezer, freezer, false, e) < 0) return -1;
  return 0;
}

}  // namespace berth
