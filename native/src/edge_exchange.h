// One request/response exchange of the edge's fast path (edge_loop.cc), as bytes come: reads the
// response of an upstream or of the Node edge, and produces what goes to the client (the head
// rewritten, interim 1xx heads passed on, the body framed by Content-Length, chunks or the
// connection's end). No I/O here: the event loop feeds it what it reads and writes what it gets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "edge_http.h"

namespace berth::edge {

enum class Outcome {
  kMore,        // the response goes on: feed more
  kKeepAlive,   // the response was forwarded whole; the client connection goes on
  kClose,       // forwarded; the client connection ends here
  kNoResponse,  // the target failed before answering anything: the request may go elsewhere
  kBroken,      // failed after the client saw part of the answer (or it was unreadable)
};

// The 502 the client gets when the target's answer cannot be passed on (nothing sent yet).
extern const char kBadGateway[];
// The 503 the client gets when the Node edge does not answer.
extern const char kNodeUnavailable[];

class ResponseReader {
 public:
  // `plain` must outlive the reader (its key receives the Node edge's grant).
  ResponseReader(const Names& names, bool from_node, bool head_request, const Plain& plain);

  // Bytes from the target; appends what goes to the client to *out.
  Outcome Feed(std::string_view data, std::string* out);
  // The target closed (eof) or failed or stalled: how the exchange ends.
  Outcome End(bool eof, std::string* out);

  // The client saw part of this response (an interim head).
  bool sent() const { return sent_; }
  // The target connection may serve another request (set once the response ended whole).
  bool reusable() const { return reusable_; }

 private:
  Outcome Head(std::string* out);
  Outcome Body(std::string_view data, std::string* out);
  Outcome Fail(std::string* out);

  const Names& names_;
  const bool from_node_;
  const bool head_request_;
  const Plain& plain_;
  std::string buf_;  // the response head, until it is whole
  bool head_done_ = false;
  bool sent_ = false;
  bool clean_ = true;  // nothing past the body came from the target
  bool target_close_ = false;
  bool close_ = false;
  bool reusable_ = false;
  Framing framing_ = Framing::kNone;
  uint64_t left_ = 0;
  ChunkScanner chunks_;
};

}  // namespace berth::edge
