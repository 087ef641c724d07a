#include "devices.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "unique_fd.h"

namespace berth {
namespace {

constexpr int kAny = -1;

struct DeviceRule {
  char type;   // 'c' or 'b'
  int major;   // kAny: every major
  int minor;   // kAny: every minor
  const char* access;  // of "rwm"
};

// Docker's defaults (moby's oci defaults plus runc's allowed devices): mknod of any node;
// read/write only null, zero, full, random, urandom, tty, console, ptmx and the ptys.
constexpr DeviceRule kRules[] = {
    {'c', kAny, kAny, "m"}, {'b', kAny, kAny, "m"},
    {'c', 1, 3, "rwm"},     {'c', 1, 5, "rwm"},     {'c', 1, 7, "rwm"},  {'c', 1, 8, "rwm"},
    {'c', 1, 9, "rwm"},     {'c', 5, 0, "rwm"},     {'c', 5, 1, "rwm"},  {'c', 5, 2, "rwm"},
    {'c', 136, kAny, "rwm"},
};

std::string Number(int n) { return n == kAny ? "*" : std::to_string(n); }

int WriteRule(const std::string& file, const std::string& rule, Error* e) {
  unique_fd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return SetError(e, "cgroup", errno, "open", file);
  if (write(fd.get(), rule.data(), rule.size()) < 0) return SetError(e, "cgroup", errno, "write", file + " (" + rule + ")");
  return 0;
}

// ---------------------------------------------------------------------------
// The v2 program. ctx is struct bpf_cgroup_dev_ctx {u32 access_type; u32 major; u32 minor}
// with access_type = access << 16 | type. Registers: w2 type, w3 access, w4 major, w5 minor.

struct bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  struct bpf_insn i;
  std::memset(&i, 0, sizeof i);
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

struct bpf_insn LoadCtx(uint8_t dst, int16_t off) { return Insn(BPF_LDX | BPF_W | BPF_MEM, dst, 1, off, 0); }
struct bpf_insn Alu32(uint8_t op, uint8_t dst, int32_t imm) { return Insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
struct bpf_insn Mov32Reg(uint8_t dst, uint8_t src) { return Insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
struct bpf_insn JumpIfNot(uint8_t reg, int32_t imm) { return Insn(BPF_JMP | BPF_JNE | BPF_K, reg, 0, 0, imm); }
struct bpf_insn Return(int32_t value) { return Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, value); }
struct bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

uint32_t AccessBits(const char* access) {
  uint32_t bits = 0;
  for (const char* c = access; *c != '\0'; ++c) {
    if (*c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    if (*c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (*c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
  }
  return bits;
}

std::vector<struct bpf_insn> Program() {
  std::vector<struct bpf_insn> p = {
      LoadCtx(2, 0), Mov32Reg(3, 2), Alu32(BPF_AND, 2, 0xffff), Alu32(BPF_RSH, 3, 16),
      LoadCtx(4, 4), LoadCtx(5, 8),
  };
  constexpr uint32_t kAll = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  for (const DeviceRule& r : kRules) {
    // Each check jumps past the rest of this rule's block when it does not match.
    std::vector<struct bpf_insn> block;
    std::vector<size_t> jumps;
    jumps.push_back(block.size());
    block.push_back(JumpIfNot(2, r.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
    const uint32_t bits = AccessBits(r.access);
    if (bits != kAll) {
      // Any access asked for outside the rule's: not this rule.
      block.push_back(Mov32Reg(1, 3));
      block.push_back(Alu32(BPF_AND, 1, static_cast<int32_t>(~bits & kAll)));
      jumps.push_back(block.size());
      block.push_back(JumpIfNot(1, 0));
    }
    if (r.major != kAny) {
      jumps.push_back(block.size());
      block.push_back(JumpIfNot(4, r.major));
    }
    if (r.minor != kAny) {
      jumps.push_back(block.size());
      block.push_back(JumpIfNot(5, r.minor));
    }
    block.push_back(Return(1));
    block.push_back(Exit());
    for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - j - 1);
    p.insert(p.end(), block.begin(), block.end());
  }
  p.push_back(Return(0));
  p.push_back(Exit());
  return p;
}

long Bpf(int cmd, union bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

}  // namespace

int RestrictDevicesV1(const std::string& dir, Error* e) {
  if (WriteRule(dir + "/devices.deny", "a", e) < 0) return -1;
  for (const DeviceRule& r : kRules) {
    const std::string rule = std::string(1, r.type) + " " + Number(r.major) + ":" + Number(r.minor) + " " + r.access;
    if (WriteRule(dir + "/devices.allow", rule, e) < 0) return -1;
  }
  return 0;
}

int RestrictDevicesV2(const std::string& dir, Error* e) {
  const std::vector<struct bpf_insn> insns = Program();
  static const char kLicense[] = "Apache";
  union bpf_attr load;
  std::memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(insns.data());
  load.insn_cnt = static_cast<uint32_t>(insns.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  unique_fd prog(static_cast<int>(Bpf(BPF_PROG_LOAD, &load)));  // bpf fds are O_CLOEXEC
  if (!prog) return SetError(e, "cgroup", errno, "bpf", "BPF_PROG_LOAD (device filter)");
  unique_fd cg(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg) return SetError(e, "cgroup", errno, "open", dir);
  union bpf_attr attach;
  std::memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(cg.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attach) < 0) return SetError(e, "cgroup", errno, "bpf", "BPF_PROG_ATTACH " + dir);
  return 0;  // the attachment holds the program; it goes with the cgroup
}

}  // namespace berth
