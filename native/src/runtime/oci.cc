#include "oci.h"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "../caps.h"
#include "json.h"

namespace berth {
namespace {

struct Opt {
  const char* name;
  unsigned long set;
  unsigned long clear;
};

constexpr Opt kMountOptions[] = {
    {"ro", MS_RDONLY, 0},          {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},      {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},        {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},      {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},   {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},    {"mand", MS_MANDLOCK, 0},
    {"nomand", 0, MS_MANDLOCK},    {"atime", 0, MS_NOATIME},
    {"noatime", MS_NOATIME, 0},    {"diratime", 0, MS_NODIRATIME},
    {"nodiratime", MS_NODIRATIME, 0}, {"relatime", MS_RELATIME, 0},
    {"norelatime", 0, MS_RELATIME}, {"strictatime", MS_STRICTATIME, 0},
    {"nostrictatime", 0, MS_STRICTATIME},
};

constexpr Opt kPropagation[] = {
    {"private", MS_PRIVATE, 0},       {"rprivate", MS_PRIVATE | MS_REC, 0},
    {"shared", MS_SHARED, 0},         {"rshared", MS_SHARED | MS_REC, 0},
    {"slave", MS_SLAVE, 0},           {"rslave", MS_SLAVE | MS_REC, 0},
    {"unbindable", MS_UNBINDABLE, 0}, {"runbindable", MS_UNBINDABLE | MS_REC, 0},
};

struct Named {
  const char* name;
  int value;
};

constexpr Named kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},   {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK},     {"RLIMIT_CORE", RLIMIT_CORE},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_LOCKS", RLIMIT_LOCKS},   {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},   {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

constexpr Named kNamespaces[] = {
    {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},
    {"mount", CLONE_NEWNS}, {"user", CLONE_NEWUSER},  {"cgroup", CLONE_NEWCGROUP},
};

constexpr Named kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},   {"PWR", SIGPWR},   {"SYS", SIGSYS},
};

bool Strings(const Json& v, std::vector<std::string>* out, const char* field, std::string* error) {
  if (v.IsNull()) return true;
  if (!v.IsArray()) return *error = std::string(field) + ": expected an array of strings", false;
  for (const Json& s : v.array) {
    if (!s.IsString()) return *error = std::string(field) + ": expected an array of strings", false;
    out->push_back(s.string);
  }
  return true;
}

bool Id(const Json& v, uint32_t* out, const char* field, std::string* error) {
  if (v.IsNull()) return true;
  if (!v.IsNumber() || v.number < 0 || v.number > 4294967294.0 || v.number != std::floor(v.number))
    return *error = std::string(field) + ": expected an id", false;
  *out = static_cast<uint32_t>(v.number);
  return true;
}

bool CapList(const Json& v, uint64_t* out, const char* field, std::string* error) {
  std::vector<std::string> names;
  if (!Strings(v, &names, field, error)) return false;
  for (const std::string& n : names) {
    int c = CapFromName(n);
    if (c < 0) return *error = std::string(field) + ": unknown capability " + n, false;
    if (c <= LastCap()) *out |= 1ULL << c;
  }
  return true;
}

bool Maps(const Json& v, std::vector<IdMap>* out, const char* field, std::string* error) {
  if (v.IsNull()) return true;
  if (!v.IsArray()) return *error = std::string(field) + ": expected an array", false;
  for (const Json& m : v.array) {
    IdMap map;
    if (!Id(m["containerID"], &map.container_id, field, error) || !Id(m["hostID"], &map.host_id, field, error) ||
        !Id(m["size"], &map.size, field, error))
      return false;
    out->push_back(map);
  }
  return true;
}

int64_t Int(const Json& v, int64_t def) { return v.IsNumber() ? static_cast<int64_t>(v.number) : def; }

}  // namespace

int SignalFromName(const std::string& raw) {
  if (raw.empty()) return -1;
  if (raw.find_first_not_of("0123456789") == std::string::npos) {
    int n = std::atoi(raw.c_str());
    return n >= 0 && n < 65 ? n : -1;
  }
  std::string name = raw;
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.compare(0, 3, "SIG") == 0) name = name.substr(3);
  for (const Named& s : kSignals) {
    if (name == s.name) return s.value;
  }
  return -1;
}

bool LoadOciBundle(const std::string& bundle, const std::string& id, OciBundle* out, std::string* error) {
  const std::string file = bundle + "/config.json";
  std::ifstream in(file);
  if (!in) return *error = "cannot open " + file + ": " + std::strerror(errno), false;
  std::stringstream text;
  text << in.rdbuf();
  Json spec;
  if (!ParseJson(text.str(), &spec, error)) return *error = file + ": " + *error, false;
  ContainerConfig& c = out->config;
  c.populate_dev = true;
  c.seccomp = false;
  c.no_new_privileges = false;
  c.stdio = Stdio::kInherit;

  const Json& root = spec["root"];
  if (!root["path"].IsString()) return *error = "root.path: required", false;
  c.rootfs = root["path"].string[0] == '/' ? root["path"].string : bundle + "/" + root["path"].string;
  c.readonly_rootfs = root["readonly"].IsBool() && root["readonly"].boolean;
  if (spec["hostname"].IsString()) c.hostname = spec["hostname"].string;

  const Json& p = spec["process"];
  if (!p.IsObject()) return *error = "process: required", false;
  out->terminal = p["terminal"].IsBool() && p["terminal"].boolean;
  if (!Strings(p["args"], &c.args, "process.args", error) || !Strings(p["env"], &c.env, "process.env", error)) return false;
  if (c.args.empty()) return *error = "process.args: required", false;
  if (p["cwd"].IsString()) c.cwd = p["cwd"].string;
  uint32_t uid = 0, gid = 0;
  if (!Id(p["user"]["uid"], &uid, "process.user.uid", error) || !Id(p["user"]["gid"], &gid, "process.user.gid", error)) return false;
  c.uid = uid;
  c.gid = gid;
  if (p["user"]["additionalGids"].IsArray()) {
    for (const Json& g : p["user"]["additionalGids"].array) {
      uint32_t v = 0;
      if (!Id(g, &v, "process.user.additionalGids", error)) return false;
      c.additional_gids.push_back(v);
    }
  }
  const Json& caps = p["capabilities"];
  if (!CapList(caps["bounding"], &c.caps.bounding, "capabilities.bounding", error) ||
      !CapList(caps["effective"], &c.caps.effective, "capabilities.effective", error) ||
      !CapList(caps["permitted"], &c.caps.permitted, "capabilities.permitted", error) ||
      !CapList(caps["inheritable"], &c.caps.inheritable, "capabilities.inheritable", error) ||
      !CapList(caps["ambient"], &c.caps.ambient, "capabilities.ambient", error))
    return false;
  c.no_new_privileges = p["noNewPrivileges"].IsBool() && p["noNewPrivileges"].boolean;
  if (p["rlimits"].IsArray()) {
    for (const Json& r : p["rlimits"].array) {
      Rlimit rl;
      rl.resource = -1;
      for (const Named& n : kRlimits) {
        if (r["type"].IsString() && r["type"].string == n.name) rl.resource = n.value;
      }
      if (rl.resource < 0) return *error = "process.rlimits: unknown type " + r["type"].string, false;
      rl.soft = static_cast<uint64_t>(Int(r["soft"], 0));
      rl.hard = static_cast<uint64_t>(Int(r["hard"], 0));
      c.rlimits.push_back(rl);
    }
  }
  if (!p["apparmorProfile"].IsNull() || !p["selinuxLabel"].IsNull())
    out->warnings.push_back("process.apparmorProfile/selinuxLabel are not supported, ignored");

  if (spec["mounts"].IsArray()) {
    for (const Json& m : spec["mounts"].array) {
      MountSpec ms;
      if (!m["destination"].IsString() || m["destination"].string.empty() || m["destination"].string[0] != '/')
        return *error = "mounts: destination must be an absolute path", false;
      ms.destination = m["destination"].string;
      ms.type = m["type"].IsString() ? m["type"].string : "";
      ms.source = m["source"].IsString() ? m["source"].string : "";
      std::vector<std::string> options;
      if (!Strings(m["options"], &options, "mounts.options", error)) return false;
      std::string data;
      for (const std::string& o : options) {
        bool known = false;
        for (const Opt& f : kMountOptions) {
          if (o == f.name) {
            ms.flags = (ms.flags | f.set) & ~f.clear;
            known = true;
          }
        }
        for (const Opt& f : kPropagation) {
          if (o == f.name) {
            ms.propagation = f.set;
            known = true;
          }
        }
        if (o == "bind" || o == "rbind") {
          ms.bind = true;
          ms.recursive = o == "rbind";
          known = true;
        }
        if (!known) data += (data.empty() ? "" : ",") + o;
      }
      if (ms.type == "bind") ms.bind = true;
      if (ms.type == "cgroup" || ms.type == "cgroup2") {
        // A first version: the host's cgroup tree, read-only (crun/runc mount the container's own).
        ms.type = "bind";
        ms.bind = true;
        ms.recursive = true;
        ms.source = "/sys/fs/cgroup";
        ms.flags |= MS_RDONLY | MS_NOSUID | MS_NOEXEC;
        data.clear();
      }
      if (ms.bind && !ms.source.empty() && ms.source[0] != '/') ms.source = bundle + "/" + ms.source;
      ms.data = data;
      c.mounts.push_back(ms);
    }
  }

  const Json& linux = spec["linux"];
  if (linux["namespaces"].IsArray()) {
    for (const Json& ns : linux["namespaces"].array) {
      int flag = 0;
      for (const Named& n : kNamespaces) {
        if (ns["type"].IsString() && ns["type"].string == n.name) flag = n.value;
      }
      if (flag == 0) return *error = "linux.namespaces: unknown type " + ns["type"].string, false;
      if (ns["path"].IsString()) return *error = "linux.namespaces: joining a namespace by path is not supported yet", false;
      c.namespaces |= flag;
    }
  }
  if (!(c.namespaces & CLONE_NEWNS)) return *error = "linux.namespaces: a mount namespace is required", false;
  if (!Maps(linux["uidMappings"], &c.uid_map, "linux.uidMappings", error) ||
      !Maps(linux["gidMappings"], &c.gid_map, "linux.gidMappings", error))
    return false;
  if (!Strings(linux["maskedPaths"], &c.masked_paths, "linux.maskedPaths", error) ||
      !Strings(linux["readonlyPaths"], &c.readonly_paths, "linux.readonlyPaths", error))
    return false;
  if (!linux["seccomp"].IsNull()) out->warnings.push_back("linux.seccomp is not supported yet, ignored");
  if (linux["devices"].IsArray() && !linux["devices"].array.empty())
    out->warnings.push_back("linux.devices is not supported yet, ignored (only the default devices exist)");

  const Json& res = linux["resources"];
  CgroupSpec& g = c.cgroup;
  g.memory = Int(res["memory"]["limit"], -1);
  g.memory_swap = Int(res["memory"]["swap"], -1);
  g.cpu_quota = Int(res["cpu"]["quota"], -1);
  g.cpu_period = static_cast<uint64_t>(Int(res["cpu"]["period"], 100000));
  g.cpu_shares = static_cast<uint64_t>(Int(res["cpu"]["shares"], 0));
  g.pids_limit = Int(res["pids"]["limit"], -1);
  if (res["cpu"]["cpus"].IsString()) g.cpuset_cpus = res["cpu"]["cpus"].string;
  if (res["cpu"]["mems"].IsString()) g.cpuset_mems = res["cpu"]["mems"].string;
  const bool limits = g.memory >= 0 || g.cpu_quota > 0 || g.cpu_shares > 0 || g.pids_limit > 0 ||
                      !g.cpuset_cpus.empty() || !g.cpuset_mems.empty();
  std::string path = linux["cgroupsPath"].IsString() ? linux["cgroupsPath"].string : "";
  if (limits || !path.empty()) {
    c.has_cgroup = true;
    while (!path.empty() && path[0] == '/') path.erase(0, 1);
    if (path.empty() || path.find(':') != std::string::npos || path.find("..") != std::string::npos)
      path = "berth-runtime/" + id;
    g.path = path;
  }
  return true;
}

}  // namespace berth
