#include "edge_exchange.h"

#include "edge_grants.h"

namespace berth::edge {
namespace {
constexpr size_t kMaxHead = 32 * 1024;
}  // namespace

const char kBadGateway[] = "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 40\r\nconnection: close\r\n\r\nthe upstream answered in a broken way.\r\n";
const char kNodeUnavailable[] = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 30\r\nconnection: close\r\n\r\nBerth's edge is not answering\n";

ResponseReader::ResponseReader(const Names& names, bool from_node, bool head_request, const Plain& plain)
    : names_(names), from_node_(from_node), head_request_(head_request), plain_(plain) {}

Outcome ResponseReader::Fail(std::string* out) {
  if (sent_) return Outcome::kBroken;
  out->append(kBadGateway);
  return Outcome::kClose;
}

Outcome ResponseReader::Feed(std::string_view data, std::string* out) {
  if (head_done_) return Body(data, out);
  buf_.append(data);
  return Head(out);
}

Outcome ResponseReader::Head(std::string* out) {
  size_t end;
  ResponseHead h;
  while (true) {
    end = buf_.find("\r\n\r\n");
    if (end == std::string::npos) return buf_.size() > kMaxHead ? Fail(out) : Outcome::kMore;
    h = ResponseHead();
    if (!ParseResponse(std::string_view(buf_).substr(0, end + 4), &h) || h.status == 101) return Fail(out);
    if (h.status >= 200) break;
    // An interim response (100 Continue, 103 Early Hints): passed on, the final one follows.
    out->append(RewriteResponse(h, names_, from_node_, Framing::kNone, false));
    sent_ = true;
    buf_.erase(0, end + 4);
  }
  framing_ = ResponseFraming(h, head_request_, &left_);
  if (framing_ == Framing::kInvalid) return Fail(out);
  target_close_ = h.version == "HTTP/1.0" || framing_ == Framing::kClose;
  for (const Header& hd : h.headers) {
    if (IEquals(hd.name, "connection") && HasToken(hd.value, "close")) target_close_ = true;
    if (from_node_ && plain_.fast && !names_.grant_header.empty() && IEquals(hd.name, names_.grant_header)) PutGrant(plain_.key, hd.value);
  }
  // The Node edge closing its side means it meant to close the client's (as it would have).
  close_ = plain_.client_close || framing_ == Framing::kClose || (from_node_ && target_close_);
  head_done_ = true;
  // A chunked body broken in the bytes that came with the head: a 502 rather than half an answer.
  std::string_view rest = std::string_view(buf_).substr(end + 4);
  if (framing_ == Framing::kChunked && !rest.empty()) {
    ChunkScanner probe = chunks_;
    if (probe.Feed(rest.data(), rest.size()) < 0) return Fail(out);
  }
  out->append(RewriteResponse(h, names_, from_node_, framing_, close_));
  std::string tail(rest);
  buf_.clear();
  buf_.shrink_to_fit();
  return Body(tail, out);
}

Outcome ResponseReader::Body(std::string_view data, std::string* out) {
  switch (framing_) {
    case Framing::kNone:
      if (!data.empty()) clean_ = false;
      break;
    case Framing::kLength: {
      size_t n = data.size() < left_ ? data.size() : static_cast<size_t>(left_);
      left_ -= n;
      if (n < data.size()) clean_ = false;
      out->append(data.substr(0, n));
      if (left_) return Outcome::kMore;
      break;
    }
    case Framing::kChunked: {
      long n = chunks_.Feed(data.data(), data.size());
      if (n < 0) return Outcome::kBroken;
      if (static_cast<size_t>(n) < data.size()) clean_ = false;
      out->append(data.substr(0, static_cast<size_t>(n)));
      if (!chunks_.done()) return Outcome::kMore;
      break;
    }
    default:  // kClose: the body ends with the connection (End)
      out->append(data);
      return Outcome::kMore;
  }
  reusable_ = clean_ && !target_close_;
  return close_ ? Outcome::kClose : Outcome::kKeepAlive;
}

Outcome ResponseReader::End(bool eof, std::string* out) {
  if (!head_done_) {
    if (buf_.empty() && !sent_) return Outcome::kNoResponse;
    return Fail(out);
  }
  return eof && framing_ == Framing::kClose ? Outcome::kClose : Outcome::kBroken;
}

}  // namespace berth::edge
