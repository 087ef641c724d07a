// What berth-port-proxy tells a user about the connections it could not carry: one JSON line
// (pino's shape, as the worker's own log) on stderr, which the worker points at
// <BERTH_HOME>/network/port-proxy.log. At most one line a second per published port under a
// flood, the next one counting those left out.
#pragma once

#include <cstdint>
#include <string>

namespace berth::portproxy {

/** One published port's log state: what it is (for the line) and when it last wrote one. */
struct ConnectLog {
  std::string published;  // "tcp 0.0.0.0:8080"
  std::string target;     // "10.88.0.2:80"
  int64_t last_ms = INT64_MIN;
  long suppressed = 0;
};

/** The container whose ports this process serves: named in every line. */
void SetLogContainer(const std::string& id);

/**
 * A connection toward the container failed with `err` (ETIMEDOUT: no answer within the
 * connect timeout); the client's connection was closed. Writes the line, or counts it when the
 * port wrote one less than a second ago.
 */
void LogConnectFailed(ConnectLog* log, int err);

/** Milliseconds on the monotonic clock. */
int64_t NowMs();

}  // namespace berth::portproxy
