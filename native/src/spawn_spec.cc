// RunSpec / ExecSpec objects from JS into the ContainerConfig / ExecConfig the runtime
// takes: Docker's default mounts and masked paths, user namespaces, networks, binds, tmpfs,
// cgroup limits and security; a malformed field throws a TypeError that names it.
#include "spawn_spec.h"

#include <dlfcn.h>
#include <sched.h>
#include <sys/mount.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "caps.h"
#include "cgroups.h"
#include "network_js.h"

namespace berth {
namespace {

// Docker's defaults (moby oci/defaults.go).
const std::vector<std::string>& DefaultMaskedPaths() {
  static const std::vector<std::string> paths = {
      "/proc/asound",        "/proc/acpi",        "/proc/kcore",       "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug",
      "/proc/scsi",          "/sys/firmware",     "/sys/devices/virtual/powercap",
  };
  return paths;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const std::vector<std::string> paths = {
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  return paths;
}

[[noreturn]] void ThrowField(Napi::Env env, const std::string& field, const char* what) {
  throw Napi::TypeError::New(env, "RunSpec." + field + ": " + what);
}

bool Present(Napi::Object o, const char* field) {
  Napi::Value v = o.Get(field);
  return !v.IsUndefined() && !v.IsNull();
}

std::string GetString(Napi::Env env, Napi::Object o, const char* field) {
  Napi::Value v = o.Get(field);
  if (!v.IsString()) ThrowField(env, field, "expected a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) ThrowField(env, field, "contains a NUL byte");
  return s;
}

std::vector<std::string> GetStrings(Napi::Env env, Napi::Object o, const char* field) {
  Napi::Value v = o.Get(field);
  if (!v.IsArray()) ThrowField(env, field, "expected an array of strings");
  Napi::Array array = v.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) ThrowField(env, field, "expected an array of strings");
    out.push_back(item.As<Napi::String>().Utf8Value());
    if (out.back().find('\0') != std::string::npos) ThrowField(env, field, "contains a NUL byte");
  }
  return out;
}

std::vector<std::string> GetOptStrings(Napi::Env env, Napi::Object o, const char* field) {
  return Present(o, field) ? GetStrings(env, o, field) : std::vector<std::string>{};
}

// The objects of an array field (none if it is absent); `shape` says what each must be, for the error.
std::vector<Napi::Object> GetObjects(Napi::Env env, Napi::Object o, const char* field, const char* shape) {
  std::vector<Napi::Object> out;
  if (!Present(o, field)) return out;
  Napi::Value v = o.Get(field);
  if (!v.IsArray()) ThrowField(env, field, (std::string("expected an array of ") + shape).c_str());
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value x = a.Get(i);
    if (!x.IsObject()) ThrowField(env, field, (std::string("expected ") + shape).c_str());
    out.push_back(x.As<Napi::Object>());
  }
  return out;
}

double GetNumber(Napi::Env env, Napi::Object o, const char* field) {
  Napi::Value v = o.Get(field);
  if (!v.IsNumber()) ThrowField(env, field, "expected a number");
  return v.As<Napi::Number>().DoubleValue();
}

uint32_t ToId(Napi::Env env, Napi::Value v, const std::string& field) {
  if (!v.IsNumber()) ThrowField(env, field, "expected an integer id");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
    ThrowField(env, field, "expected an integer id");
  return static_cast<uint32_t>(d);
}

uint32_t GetId(Napi::Env env, Napi::Object o, const char* field) { return ToId(env, o.Get(field), field); }

bool GetBool(Napi::Object o, const char* field, bool def) {
  Napi::Value v = o.Get(field);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : def;
}

int64_t GetInt(Napi::Env env, Napi::Object o, const char* field, int64_t def) {
  if (!Present(o, field)) return def;
  double d = GetNumber(env, o, field);
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9007199254740991.0)
    ThrowField(env, field, "expected an integer");
  return static_cast<int64_t>(d);
}

std::vector<gid_t> GetGids(Napi::Env env, Napi::Object o, const char* field) {
  std::vector<gid_t> out;
  if (!Present(o, field)) return out;
  Napi::Value v = o.Get(field);
  if (!v.IsArray()) ThrowField(env, field, "expected an array of ids");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(ToId(env, a.Get(i), field));
  return out;
}

std::vector<IdMap> GetIdMaps(Napi::Env env, Napi::Object o, const char* field) {
  std::vector<IdMap> out;
  Napi::Value v = o.Get(field);
  if (!v.IsArray()) ThrowField(env, std::string("userns.") + field, "expected an array of {containerID, hostID, size}");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    if (!a.Get(i).IsObject()) ThrowField(env, std::string("userns.") + field, "expected {containerID, hostID, size}");
    Napi::Object m = a.Get(i).As<Napi::Object>();
    IdMap map;
    map.container_id = ToId(env, m.Get("containerID"), std::string("userns.") + field + ".containerID");
    map.host_id = ToId(env, m.Get("hostID"), std::string("userns.") + field + ".hostID");
    map.size = ToId(env, m.Get("size"), std::string("userns.") + field + ".size");
    out.push_back(map);
  }
  return out;
}

bool Maps(const std::vector<IdMap>& maps, uint32_t id) {
  for (const IdMap& m : maps) {
    if (id >= m.container_id && id - m.container_id < m.size) return true;
  }
  return false;
}

// berth-init is built next to the addon (build/Release/).
std::string InitBinaryPath() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&InitBinaryPath), &info) == 0 || info.dli_fname == nullptr) return "berth-init";
  std::string self = info.dli_fname;
  size_t slash = self.rfind('/');
  return (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/berth-init";
}

// berth-shim is built next to the addon too.
std::string ShimBinaryPath() {
  std::string init = InitBinaryPath();
  return init.substr(0, init.size() - std::string("berth-init").size()) + "berth-shim";
}

void ReadTty(Napi::Env env, Napi::Object o, Stdio* stdio, uint16_t* cols, uint16_t* rows) {
  if (!GetBool(o, "tty", false)) return;
  *stdio = Stdio::kTty;
  if (!Present(o, "ttySize")) return;
  Napi::Value v = o.Get("ttySize");
  if (!v.IsObject()) ThrowField(env, "ttySize", "expected {cols, rows}");
  Napi::Object s = v.As<Napi::Object>();
  int64_t c = GetInt(env, s, "cols", 0), r = GetInt(env, s, "rows", 0);
  if (c < 1 || c > 65535 || r < 1 || r > 65535) ThrowField(env, "ttySize", "cols and rows must be 1..65535");
  *cols = static_cast<uint16_t>(c);
  *rows = static_cast<uint16_t>(r);
}

void ReadSecurity(Napi::Env env, Napi::Object o, uid_t uid, CapSets* caps, bool* nnp, bool* seccomp) {
  Error e;
  if (ComputeCaps(GetOptStrings(env, o, "capAdd"), GetOptStrings(env, o, "capDrop"), uid, caps, &e) < 0)
    ThrowField(env, "capAdd/capDrop", e.message.c_str());
  *nnp = GetBool(o, "noNewPrivileges", true);
  if (Present(o, "seccomp")) {
    std::string s = GetString(env, o, "seccomp");
    if (s != "default" && s != "unconfined") ThrowField(env, "seccomp", "expected 'default' or 'unconfined'");
    *seccomp = s == "default";
  }
}

MountSpec Mount(const char* source, const char* dest, const char* type, unsigned long flags, const char* data) {
  MountSpec m;
  m.source = source;
  m.destination = dest;
  m.type = type;
  m.flags = flags;
  m.data = data;
  return m;
}

}  // namespace

ContainerConfig ReadRunSpec(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "spawn: expected a RunSpec object");
  Napi::Object spec = value.As<Napi::Object>();
  ContainerConfig c;
  c.rootfs = GetString(env, spec, "rootfs");
  std::vector<std::string> lowerdirs = GetStrings(env, spec, "lowerdirs");
  std::string upperdir = GetString(env, spec, "upperdir");
  std::string workdir = GetString(env, spec, "workdir");
  c.args = GetStrings(env, spec, "args");
  c.env = GetStrings(env, spec, "env");
  c.cwd = GetString(env, spec, "cwd");
  c.hostname = GetString(env, spec, "hostname");
  c.uid = GetId(env, spec, "uid");
  c.gid = GetId(env, spec, "gid");

  if (lowerdirs.empty()) ThrowField(env, "lowerdirs", "at least one layer is required");
  if (c.args.empty() || c.args[0].empty()) ThrowField(env, "args", "args[0] must be a non-empty string");
  if (c.hostname.size() > 64) ThrowField(env, "hostname", "longer than 64 bytes");

  if (lowerdirs.size() > kMaxOverlayLayers)
    ThrowField(env, "lowerdirs", ("more than " + std::to_string(kMaxOverlayLayers) +
                                  " layers (the kernel's overlayfs maximum)").c_str());
  c.lowerdirs = std::move(lowerdirs);
  c.upperdir = upperdir;
  c.workdir = workdir;

  c.namespaces = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
  if (Present(spec, "userns")) {
    Napi::Value u = spec.Get("userns");
    if (!u.IsObject()) ThrowField(env, "userns", "expected {uidMap, gidMap}");
    c.uid_map = GetIdMaps(env, u.As<Napi::Object>(), "uidMap");
    c.gid_map = GetIdMaps(env, u.As<Napi::Object>(), "gidMap");
    if (c.uid_map.empty() || c.gid_map.empty()) ThrowField(env, "userns", "uidMap and gidMap must not be empty");
    c.namespaces |= CLONE_NEWUSER;
  }
  if (Present(spec, "network")) {
    Napi::Value nv = spec.Get("network");
    if (!nv.IsObject()) ThrowField(env, "network", "expected {mode: 'none' | 'host' | 'bridge', ...}");
    Napi::Object n = nv.As<Napi::Object>();
    const std::string mode = GetString(env, n, "mode");
    if (mode == "host") c.namespaces &= ~CLONE_NEWNET;
    else if (mode == "bridge") {
      c.veth = ReadVeth(env, n, "network");
      c.has_veth = true;
      if (Present(n, "extra")) {
        Napi::Value xv = n.Get("extra");
        if (!xv.IsArray()) ThrowField(env, "network.extra", "expected an array of veth specs");
        Napi::Array xs = xv.As<Napi::Array>();
        for (uint32_t i = 0; i < xs.Length(); i++) {
          Napi::Value x = xs.Get(i);
          if (!x.IsObject()) ThrowField(env, "network.extra", "expected an array of veth specs");
          c.extra_veths.push_back(ReadVeth(env, x.As<Napi::Object>(), "network.extra"));
        }
      }
    } else if (mode != "none") ThrowField(env, "network", "mode must be 'none', 'host' or 'bridge'");
  }
  const bool userns = (c.namespaces & CLONE_NEWUSER) != 0;
  // Mounted inside the user namespace: overlay keeps its metadata in user.* xattrs there.
  c.overlay_userxattr = userns;

  // Docker's default mounts. devpts' gid=5 must be mapped in a user namespace.
  const char* devpts = userns && !Maps(c.gid_map, 5) ? "newinstance,ptmxmode=0666,mode=0620"
                                                     : "newinstance,ptmxmode=0666,mode=0620,gid=5";
  c.mounts = {
      Mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, ""),
      Mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"),
      Mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, devpts),
      Mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k"),
      Mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, ""),
      Mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, ""),
  };
  for (Napi::Object b : GetObjects(env, spec, "binds", "{source, destination, readonly}")) {
    MountSpec m;
    m.source = GetString(env, b, "source");
    m.destination = GetString(env, b, "destination");
    if (m.source.empty() || m.source[0] != '/' || m.destination.empty() || m.destination[0] != '/')
      ThrowField(env, "binds", "source and destination must be absolute paths");
    m.type = "bind";
    m.bind = true;
    m.recursive = true;
    m.flags = GetBool(b, "readonly", false) ? MS_RDONLY : 0;
    c.mounts.push_back(m);
  }
  for (Napi::Object t : GetObjects(env, spec, "tmpfs", "{destination, size?, mode?, readonly?, exec?}")) {
    MountSpec m;
    m.source = "tmpfs";
    m.type = "tmpfs";
    m.destination = GetString(env, t, "destination");
    if (m.destination.empty() || m.destination[0] != '/') ThrowField(env, "tmpfs", "destination must be an absolute path");
    // Docker's --tmpfs: nosuid, nodev, noexec unless asked; mode 1777 unless given.
    m.flags = MS_NOSUID | MS_NODEV | (GetBool(t, "exec", false) ? 0 : MS_NOEXEC) | (GetBool(t, "readonly", false) ? MS_RDONLY : 0);
    const int64_t mode = Present(t, "mode") ? GetInt(env, t, "mode", 01777) : 01777;
    char data[64];
    snprintf(data, sizeof data, "mode=%llo", static_cast<unsigned long long>(mode & 07777));
    m.data = data;
    if (Present(t, "size")) m.data += ",size=" + std::to_string(GetInt(env, t, "size", 0));
    c.mounts.push_back(m);
  }
  c.masked_paths = Present(spec, "maskedPaths") ? GetStrings(env, spec, "maskedPaths") : DefaultMaskedPaths();
  c.readonly_paths = Present(spec, "readonlyPaths") ? GetStrings(env, spec, "readonlyPaths") : DefaultReadonlyPaths();
  c.readonly_rootfs = GetBool(spec, "readonlyRootfs", false);
  c.additional_gids = GetGids(env, spec, "additionalGids");
  ReadSecurity(env, spec, c.uid, &c.caps, &c.no_new_privileges, &c.seccomp);
  c.init = GetBool(spec, "init", false);
  if (c.init) c.init_binary = InitBinaryPath();
  c.open_stdin = GetBool(spec, "openStdin", false);
  ReadTty(env, spec, &c.stdio, &c.tty_cols, &c.tty_rows);
  if (Present(spec, "shim")) {
    Napi::Value v = spec.Get("shim");
    if (!v.IsObject()) ThrowField(env, "shim", "expected {dir}");
    c.shim_dir = GetString(env, v.As<Napi::Object>(), "dir");
    if (c.shim_dir.empty() || c.shim_dir[0] != '/') ThrowField(env, "shim.dir", "expected an absolute path");
    c.shim_binary = ShimBinaryPath();
  }

  if (Present(spec, "cgroup")) {
    Napi::Value v = spec.Get("cgroup");
    if (!v.IsObject()) ThrowField(env, "cgroup", "expected an object");
    Napi::Object g = v.As<Napi::Object>();
    c.has_cgroup = true;
    CgroupSpec& s = c.cgroup;
    s.path = GetString(env, g, "path");
    s.restrict_devices = true;  // never relaxed: there is no privileged mode
    s.memory = GetInt(env, g, "memory", -1);
    s.memory_swap = GetInt(env, g, "memorySwap", -1);
    if (Present(g, "cpus")) {
      double cpus = GetNumber(env, g, "cpus");
      if (!(cpus > 0 && cpus <= 4096)) ThrowField(env, "cgroup.cpus", "expected a number > 0");
      s.cpu_period = 100000;
      s.cpu_quota = static_cast<int64_t>(std::llround(cpus * 100000));
    }
    s.cpu_shares = static_cast<uint64_t>(GetInt(env, g, "cpuShares", 0));
    s.pids_limit = GetInt(env, g, "pidsLimit", -1);
    if (Present(g, "cpusetCpus")) s.cpuset_cpus = GetString(env, g, "cpusetCpus");
    if (Present(g, "cpusetMems")) s.cpuset_mems = GetString(env, g, "cpusetMems");
  }
  return c;
}

ExecConfig ReadExecSpec(Napi::Env env, pid_t pid, Napi::Value value) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "exec: expected an ExecSpec object");
  Napi::Object spec = value.As<Napi::Object>();
  ExecConfig c;
  c.pid = pid;
  c.args = GetStrings(env, spec, "args");
  if (c.args.empty() || c.args[0].empty()) ThrowField(env, "args", "args[0] must be a non-empty string");
  c.env = Present(spec, "env") ? GetStrings(env, spec, "env") : std::vector<std::string>{};
  c.cwd = Present(spec, "cwd") ? GetString(env, spec, "cwd") : "/";
  c.uid = Present(spec, "uid") ? GetId(env, spec, "uid") : 0;
  c.gid = Present(spec, "gid") ? GetId(env, spec, "gid") : 0;
  c.additional_gids = GetGids(env, spec, "additionalGids");
  ReadSecurity(env, spec, c.uid, &c.caps, &c.no_new_privileges, &c.seccomp);
  c.open_stdin = GetBool(spec, "openStdin", false);
  ReadTty(env, spec, &c.stdio, &c.tty_cols, &c.tty_rows);
  return c;
}

}  // namespace berth
