// The fast path's grant table (edge_fast_main.cc): decisions the Node edge made, replayed for
// requests with the same host and credentials until they expire or a change drops them all.
// A busy grant is renewed before it expires: past half its lifetime, the first request that
// uses it asks the Node edge (one "P <id>" line on stdout) to decide again, and the answer
// ("G ..." on stdin) replaces it, so the clients of a busy link never wait for web's answer.
// A renewable grant past its lifetime still serves for a while (the config's grant-stale-ms, the
// Node edge's own revalidation window for its cached answers) while its renewal is asked for: the Node edge
// answers a "P" with "G" (renewed) or "D <id>" (refused: dropped at once), or not at all when web
// gave no fresh answer (the grant then ends kRenewAnswerMs after the ask). So a link that was
// idle a few seconds does not send its next requests through Node and web.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth::edge {

using Clock = std::chrono::steady_clock;

struct Grant {
  std::string ip;
  int port = 0;
  std::string container;
  Clock::time_point until;
  // The Node edge's name for this decision (0: it cannot be renewed).
  uint64_t id = 0;
  Clock::time_point renew_at;
  bool renewing = false;
  // When the renewal was asked for: an expired grant whose answer is overdue serves no more.
  Clock::time_point asked_at;
};

// How long past its lifetime a renewable grant serves while its renewal is asked for (the config's
// grant-stale-ms: the Node edge serves its cached answers as long); none until set.
void SetStaleWindow(std::chrono::milliseconds window);
// An expired grant whose renewal was not answered within this serves no more (the Node edge
// answers in milliseconds; web's own timeout is 1.5 s).
constexpr std::chrono::milliseconds kRenewAnswerMs{3'000};

// Writes a line to stdout, the Node edge's end of the pipe (whole lines, from any thread).
void Say(const std::string& line);

// A fresh grant for `key`, counted in flight until ReleaseGrant; false when there is none. Asks
// for its renewal when it is due.
bool TakeGrant(const std::string& key, Grant* g);
void ReleaseGrant(const std::string& container);
void DropGrant(const std::string& key);

// A grant from the Node edge's response header for `key`, value
// "<generation> <ttl ms> <ip> <port> <container> [<id>]"; ignored when malformed or stale.
void PutGrant(const std::string& key, std::string_view value);
// A renewal ("G " line on stdin, the same value with its id): replaces the grant the id names.
void RenewGrant(std::string_view value);
// A refused renewal ("D <id>" on stdin): the grant the id names goes.
void RefuseGrant(uint64_t id);

// Drops every grant: a route or a policy changed. Grants made before `generation` are refused
// from now on; says "F <generation> <containers with requests in flight>".
void ClearGrants(uint64_t generation);

// The containers requests were sent to since the last call.
std::string TakeActive();

}  // namespace berth::edge
