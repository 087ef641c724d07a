// HTTP/1.1 message heads for the edge's fast path (edge_fast_main.cc): a strict parser (anything
// it does not fully understand goes to the Node edge, which answers it as before), the request
// rewrite the Node edge's proxy.ts does for an upstream, and the response framing rules of
// RFC 9112 §6.3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::edge {

struct Header {
  std::string_view name;
  std::string_view value;
};

struct RequestHead {
  std::string_view method;
  std::string_view target;
  std::vector<Header> headers;
};

struct ResponseHead {
  int status = 0;
  std::string_view version;  // "HTTP/1.1" or "HTTP/1.0"
  std::string_view reason;
  std::vector<Header> headers;
};

// The names the edge gives its credentials and internal paths (core/src/edge.ts), sent by the
// Node edge at start-up so both sides read the same request the same way.
struct Names {
  std::string session_cookie = "berth_edge";
  std::string link_cookie = "berth_link";
  std::string link_param = "berth_link";
  std::string link_header = "x-berth-link";
  std::string link_prefix = "berthlink_";
  std::string token_prefix = "berth_";
  std::string auth_path = "/__berth/auth";
  // Paths answered by the Node edge on every host (ACME http-01).
  std::string acme_prefix = "/.well-known/acme-challenge/";
  // The response header by which the Node edge grants a decision (a secret name per start).
  std::string grant_header;
};

// Parses a request head ending in CRLF CRLF (head.size() includes it). False: not a plain
// HTTP/1.1 request head (bare LF, obs-fold, a bad token, another version...).
bool ParseRequest(std::string_view head, RequestHead* out);
bool ParseResponse(std::string_view head, ResponseHead* out);

// What the fast path may do with a parsed request.
struct Plain {
  // A bodiless HTTP/1.1 request with one Host, no Upgrade, no credential in the query, not an
  // internal path: the fast path may serve it from a granted decision.
  bool fast = false;
  // It may go to the Node edge as one framed exchange (bodiless); false: tunnel the connection.
  bool framed = false;
  bool client_close = false;
  std::string host;
  // Host + every credential the authorizer reads, as sent: the grant table's key.
  std::string key;
};
Plain Classify(const RequestHead& r, const Names& n);

// The request head for the upstream (proxy.ts forwardHeaders with keepUpgrade false).
std::string RewriteRequest(const RequestHead& r, const Names& n, const std::string& client_ip);

// How a response body ends.
enum class Framing { kNone, kLength, kChunked, kClose, kInvalid };
Framing ResponseFraming(const ResponseHead& h, bool head_request, uint64_t* length);
bool HasToken(std::string_view list, std::string_view token);
bool IEquals(std::string_view a, std::string_view b);

// The response head for the client, from an upstream's (hop-by-hop headers out, Cookie added
// to Vary: proxy.ts responseHeaders) or from the Node edge's (only the grant header out).
std::string RewriteResponse(const ResponseHead& h, const Names& n, bool from_node, Framing f, bool close);

// A chunked body's end, found while its bytes pass through unchanged.
class ChunkScanner {
 public:
  // Consumes bytes of `data`; returns how many belong to the body (< size when it ended), or -1
  // when the chunked framing is broken.
  long Feed(const char* data, size_t size);
  bool done() const { return state_ == kDone; }

 private:
  enum State { kSize, kExt, kSizeLf, kData, kDataCr, kDataLf, kTrailer, kTrailerLf, kTrailerLine, kTrailerLineLf, kDone };
  State state_ = kSize;
  uint64_t remaining_ = 0;
  int digits_ = 0;
};

}  // namespace berth::edge
