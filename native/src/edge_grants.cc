#include "edge_grants.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <unordered_map>

namespace berth::edge {
namespace {

constexpr size_t kMaxGrants = 100'000;

std::mutex g_mu;  // guards everything in this block
std::unordered_map<std::string, Grant> g_grants;
// Which key each renewable grant is for (the Node edge's renewal names the id, not the credentials).
std::unordered_map<uint64_t, std::string> g_keys;
std::unordered_map<std::string, int> g_inflight;
std::set<std::string> g_active;
uint64_t g_generation = 0;
std::chrono::milliseconds g_stale{0};  // set once at start-up, before any loop runs
std::mutex g_out_mu;

struct Parsed {
  uint64_t generation = 0;
  Grant grant;
};

bool Parse(std::string_view value, Parsed* out) {
  unsigned long long gen = 0, ttl = 0, id = 0;
  char ip[64] = {0}, container[129] = {0};
  int port = 0;
  std::string v(value);
  int n = std::sscanf(v.c_str(), "%llu %llu %63s %d %128s %llu", &gen, &ttl, ip, &port, container, &id);
  if (n != 5 && n != 6) return false;
  if (port < 1 || port > 65535 || ttl == 0 || ttl > 60'000) return false;
  in_addr a;
  if (inet_pton(AF_INET, ip, &a) != 1) return false;
  Clock::time_point now = Clock::now();
  out->generation = gen;
  out->grant = Grant{ip, port, container, now + std::chrono::milliseconds(ttl), n == 6 ? id : 0, now + std::chrono::milliseconds(ttl / 2), false, now};
  return true;
}

void EraseLocked(std::unordered_map<std::string, Grant>::iterator it) {
  if (it->second.id) g_keys.erase(it->second.id);
  g_grants.erase(it);
}

}  // namespace

void SetStaleWindow(std::chrono::milliseconds window) { g_stale = window; }

void Say(const std::string& line) {
  std::lock_guard<std::mutex> l(g_out_mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

bool TakeGrant(const std::string& key, Grant* g) {
  uint64_t renew = 0;
  {
    std::lock_guard<std::mutex> l(g_mu);
    auto it = g_grants.find(key);
    if (it == g_grants.end()) return false;
    Clock::time_point now = Clock::now();
    Grant& held = it->second;
    if (held.until <= now) {
      // Stale: served on only while its renewal is on its way (asked now, or lately).
      bool overdue = held.renewing && now - held.asked_at >= kRenewAnswerMs;
      if (!held.id || now - held.until >= g_stale || overdue) {
        EraseLocked(it);
        return false;
      }
    }
    // Once per grant: the answer (G or D) settles it; no answer ends it kRenewAnswerMs after.
    if (held.id && !held.renewing && now >= held.renew_at) {
      held.renewing = true;
      held.asked_at = now;
      renew = held.id;
    }
    *g = held;
    g_inflight[g->container]++;
    g_active.insert(g->container);
  }
  if (renew) Say("P " + std::to_string(renew) + "\n");
  return true;
}

void ReleaseGrant(const std::string& container) {
  std::lock_guard<std::mutex> l(g_mu);
  auto it = g_inflight.find(container);
  if (it != g_inflight.end() && --it->second <= 0) g_inflight.erase(it);
}

void DropGrant(const std::string& key) {
  std::lock_guard<std::mutex> l(g_mu);
  auto it = g_grants.find(key);
  if (it != g_grants.end()) EraseLocked(it);
}

void PutGrant(const std::string& key, std::string_view value) {
  Parsed p;
  if (!Parse(value, &p)) return;
  std::lock_guard<std::mutex> l(g_mu);
  // Made before the last change: it may no longer hold.
  if (p.generation != g_generation) return;
  if (g_grants.size() >= kMaxGrants) {
    g_grants.clear();
    g_keys.clear();
  }
  auto it = g_grants.find(key);
  if (it != g_grants.end()) EraseLocked(it);
  if (p.grant.id) g_keys[p.grant.id] = key;
  g_grants[key] = std::move(p.grant);
}

void RenewGrant(std::string_view value) {
  Parsed p;
  if (!Parse(value, &p) || !p.grant.id) return;
  std::lock_guard<std::mutex> l(g_mu);
  if (p.generation != g_generation) return;
  // Dropped, expired or replaced meanwhile: nothing to renew.
  auto k = g_keys.find(p.grant.id);
  if (k == g_keys.end()) return;
  auto it = g_grants.find(k->second);
  if (it == g_grants.end() || it->second.id != p.grant.id) return;
  it->second = std::move(p.grant);
}

void RefuseGrant(uint64_t id) {
  std::lock_guard<std::mutex> l(g_mu);
  auto k = g_keys.find(id);
  if (k == g_keys.end()) return;
  auto it = g_grants.find(k->second);
  if (it != g_grants.end() && it->second.id == id) EraseLocked(it);
  else g_keys.erase(k);
}

void ClearGrants(uint64_t generation) {
  std::string line;
  {
    std::lock_guard<std::mutex> l(g_mu);
    g_grants.clear();
    g_keys.clear();
    g_generation = generation;
    line = "F " + std::to_string(generation);
    for (auto& [id, n] : g_inflight)
      if (n > 0) line += " " + id;
  }
  Say(line + "\n");
}

std::string TakeActive() {
  std::string line;
  std::lock_guard<std::mutex> l(g_mu);
  for (const std::string& id : g_active) line += " " + id;
  g_active.clear();
  return line;
}

}  // namespace berth::edge
