#include "edge_http.h"

#include <cstring>

namespace berth::edge {
namespace {

bool IsTchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!IsTchar(c)) return false;
  return true;
}

// A field value: visible ASCII, obs-text, SP and HTAB (no CR, LF, NUL or other controls).
bool IsFieldValue(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }

// Splits `head` (ending in CRLF CRLF) into its first line and header fields; false on a bare CR
// or LF, an obs-fold or a malformed field.
bool SplitHead(std::string_view head, std::string_view* first, std::vector<Header>* headers) {
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") return false;
  head.remove_suffix(2);
  bool is_first = true;
  while (!head.empty()) {
    size_t cr = head.find('\r');
    if (cr == std::string_view::npos || cr + 1 >= head.size() || head[cr + 1] != '\n') return false;
    std::string_view line = head.substr(0, cr);
    head.remove_prefix(cr + 2);
    if (line.find('\n') != std::string_view::npos) return false;
    if (is_first) {
      *first = line;
      is_first = false;
      continue;
    }
    if (line.empty() || line[0] == ' ' || line[0] == '\t') return false;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (!IsToken(name) || !IsFieldValue(value)) return false;
    headers->push_back({name, value});
  }
  return !is_first;
}

bool Hop(std::string_view k) {
  static const char* const kHop[] = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authorization"};
  for (const char* h : kHop)
    if (IEquals(k, h)) return true;
  return false;
}

// Calls f(header) for each field of `hs` that is not hop-by-hop, also leaving out, when
// `connection_named`, the fields a Connection header names (hop-by-hop too: RFC 9110 §7.6.1).
template <typename F>
void ForEachEndToEnd(const std::vector<Header>& hs, bool connection_named, F f) {
  std::vector<std::string_view> named;
  if (connection_named)
    for (const Header& h : hs)
      if (IEquals(h.name, "connection")) named.push_back(h.value);
  for (const Header& h : hs) {
    if (Hop(h.name)) continue;
    bool listed = false;
    for (std::string_view list : named)
      if ((listed = HasToken(list, h.name))) break;
    if (!listed) f(h);
  }
}

// Whether a query string names the parameter `param` (names percent-decoded as URLSearchParams does).
bool QueryHas(std::string_view query, std::string_view param) {
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::string_view name = pair.substr(0, pair.find('='));
    std::string decoded;
    for (size_t i = 0; i < name.size(); i++) {
      char c = name[i];
      if (c == '+') c = ' ';
      else if (c == '%' && i + 2 < name.size()) {
        auto hex = [](char h) { return h >= '0' && h <= '9' ? h - '0' : (h | 0x20) >= 'a' && (h | 0x20) <= 'f' ? (h | 0x20) - 'a' + 10 : -1; };
        int a = hex(name[i + 1]), b = hex(name[i + 2]);
        if (a >= 0 && b >= 0) {
          c = static_cast<char>(a * 16 + b);
          i += 2;
        }
      }
      decoded.push_back(c);
    }
    if (decoded == param) return true;
    if (amp == std::string_view::npos) return false;
    query.remove_prefix(amp + 1);
  }
}

template <typename F>
void ForEachCookie(std::string_view cookie, F f) {
  while (true) {
    size_t semi = cookie.find(';');
    std::string_view part = Trim(cookie.substr(0, semi));
    size_t eq = part.find('=');
    std::string_view name = Trim(eq == std::string_view::npos ? part : part.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? std::string_view() : Trim(part.substr(eq + 1));
    if (!name.empty()) f(part, name, value);
    if (semi == std::string_view::npos) return;
    cookie.remove_prefix(semi + 1);
  }
}

// Authorization: Bearer <x> where x is Berth's (an API token or a link secret): not for the app.
bool BerthsAuthorization(std::string_view v, const Names& n) {
  if (v.size() < 7 || !IEquals(v.substr(0, 6), "bearer") || (v[6] != ' ' && v[6] != '\t')) return false;
  std::string_view t = Trim(v.substr(7));
  if (t.empty() || t.find_first_of(" \t") != std::string_view::npos) return false;
  return t.substr(0, n.link_prefix.size()) == n.link_prefix || t.substr(0, n.token_prefix.size()) == n.token_prefix;
}

}  // namespace

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

bool HasToken(std::string_view list, std::string_view token) {
  while (true) {
    size_t comma = list.find(',');
    if (IEquals(Trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

bool ParseRequest(std::string_view head, RequestHead* out) {
  std::string_view line;
  if (!SplitHead(head, &line, &out->headers)) return false;
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  out->method = line.substr(0, sp1);
  out->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (line.substr(sp2 + 1) != "HTTP/1.1" || !IsToken(out->method) || out->target.empty()) return false;
  for (unsigned char c : out->target)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

bool ParseResponse(std::string_view head, ResponseHead* out) {
  std::string_view line;
  if (!SplitHead(head, &line, &out->headers)) return false;
  if (line.size() < 12 || (line.substr(0, 9) != "HTTP/1.1 " && line.substr(0, 9) != "HTTP/1.0 ")) return false;
  out->version = line.substr(0, 8);
  int status = 0;
  for (size_t i = 9; i < 12; i++) {
    if (line[i] < '0' || line[i] > '9') return false;
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100 || (line.size() > 12 && line[12] != ' ')) return false;
  out->status = status;
  out->reason = line.size() > 13 ? line.substr(13) : std::string_view();
  return IsFieldValue(out->reason);
}

Plain Classify(const RequestHead& r, const Names& n) {
  Plain p;
  int hosts = 0, cookies = 0, auths = 0, links = 0;
  bool body = false, odd = false;
  std::string_view cookie, auth, link;
  for (const Header& h : r.headers) {
    if (IEquals(h.name, "host")) {
      hosts++;
      p.host.assign(h.value);
    } else if (IEquals(h.name, "content-length")) {
      if (h.value != "0") body = true;
    } else if (IEquals(h.name, "transfer-encoding") || IEquals(h.name, "upgrade")) {
      odd = true;
    } else if (IEquals(h.name, "connection")) {
      if (HasToken(h.value, "close")) p.client_close = true;
      if (HasToken(h.value, "upgrade")) odd = true;
    } else if (IEquals(h.name, "cookie")) {
      cookies++;
      cookie = h.value;
    } else if (IEquals(h.name, "authorization")) {
      auths++;
      auth = h.value;
    } else if (IEquals(h.name, n.link_header)) {
      links++;
      link = h.value;
    }
  }
  // One request at a time per connection: a body (or anything unusual) hands the connection to Node.
  p.framed = !body && !odd && hosts == 1 && !IEquals(r.method, "CONNECT");
  if (!p.framed || cookies > 1 || auths > 1 || links > 1 || r.target[0] != '/') return p;
  std::string_view path = r.target.substr(0, r.target.find('?'));
  if (path == n.auth_path || path.substr(0, n.acme_prefix.size()) == n.acme_prefix) return p;
  size_t q = r.target.find('?');
  if (q != std::string_view::npos && QueryHas(r.target.substr(q + 1), n.link_param)) return p;
  p.key = p.host;
  p.key += '\n';
  ForEachCookie(cookie, [&](std::string_view, std::string_view name, std::string_view value) {
    if (name == n.session_cookie || name == n.link_cookie) {
      p.key.append(name).append("=").append(value).append(";");
    }
  });
  p.key.append("\n").append(auth).append("\n").append(link);
  p.fast = true;
  return p;
}

std::string RewriteRequest(const RequestHead& r, const Names& n, const std::string& client_ip) {
  std::string out;
  out.reserve(512);
  out.append(r.method).append(" ").append(r.target).append(" HTTP/1.1\r\n");
  std::string xff, proto, cookie;
  bool have_xff = false, have_proto = false;
  std::string_view host;
  ForEachEndToEnd(r.headers, true, [&](const Header& h) {
    if (IEquals(h.name, "cookie")) {
      ForEachCookie(h.value, [&](std::string_view part, std::string_view name, std::string_view) {
        if (name == n.session_cookie || name == n.link_cookie) return;
        if (!cookie.empty()) cookie += "; ";
        cookie.append(part);
      });
      return;
    }
    if (IEquals(h.name, n.link_header) || IEquals(h.name, "x-forwarded-host")) return;
    if (IEquals(h.name, "authorization") && BerthsAuthorization(h.value, n)) return;
    if (IEquals(h.name, "x-forwarded-for")) {
      if (have_xff) xff += ", ";
      xff.append(h.value);
      have_xff = true;
      return;
    }
    if (IEquals(h.name, "x-forwarded-proto")) {
      if (!have_proto) proto.assign(h.value);
      have_proto = true;
      return;
    }
    if (IEquals(h.name, "host")) host = h.value;
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  });
  if (!cookie.empty()) out.append("cookie: ").append(cookie).append("\r\n");
  out.append("x-forwarded-for: ");
  if (have_xff) out.append(xff).append(", ");
  out.append(client_ip).append("\r\nx-forwarded-host: ").append(host).append("\r\nx-forwarded-proto: ");
  out.append(have_proto ? proto : std::string("http")).append("\r\n\r\n");
  return out;
}

Framing ResponseFraming(const ResponseHead& h, bool head_request, uint64_t* length) {
  if (head_request || h.status < 200 || h.status == 204 || h.status == 304) return Framing::kNone;
  bool te = false, chunked = false, cl = false;
  uint64_t n = 0;
  for (const Header& x : h.headers) {
    if (IEquals(x.name, "transfer-encoding")) {
      te = true;
      // Chunked only when it is the last coding.
      std::string_view v = x.value;
      size_t comma = v.rfind(',');
      chunked = IEquals(Trim(comma == std::string_view::npos ? v : v.substr(comma + 1)), "chunked");
    } else if (IEquals(x.name, "content-length")) {
      if (x.value.empty() || x.value.size() > 15) return Framing::kInvalid;
      uint64_t v = 0;
      for (char c : x.value) {
        if (c < '0' || c > '9') return Framing::kInvalid;
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      if (cl && v != n) return Framing::kInvalid;
      cl = true;
      n = v;
    }
  }
  if (te) return chunked ? Framing::kChunked : Framing::kClose;
  if (cl) {
    *length = n;
    return n ? Framing::kLength : Framing::kNone;
  }
  return Framing::kClose;
}

std::string RewriteResponse(const ResponseHead& h, const Names& n, bool from_node, Framing f, bool close) {
  std::string out;
  out.reserve(512);
  out.append("HTTP/1.1 ").append(std::to_string(h.status));
  out.append(" ").append(h.reason).append("\r\n");
  std::string vary;
  bool have_vary = false;
  // The Node edge's own response lists nothing in Connection but its framing.
  ForEachEndToEnd(h.headers, !from_node, [&](const Header& x) {
    if (!n.grant_header.empty() && IEquals(x.name, n.grant_header)) return;
    // The body's length is the chunks' or the connection's: a Content-Length beside them would lie.
    if ((f == Framing::kChunked || f == Framing::kClose) && IEquals(x.name, "content-length")) return;
    if (!from_node && IEquals(x.name, "vary")) {
      if (have_vary) vary += ", ";
      vary.append(x.value);
      have_vary = true;
      return;
    }
    out.append(x.name).append(": ").append(x.value).append("\r\n");
  });
  if (!from_node) {
    // Who may see a link depends on the edge's cookie: a browser must not answer another account from its cache.
    bool has_cookie = false;
    std::string_view v = vary;
    while (have_vary) {
      size_t comma = v.find(',');
      std::string_view t = Trim(v.substr(0, comma));
      if (t == "*" || IEquals(t, "cookie")) has_cookie = true;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
    if (!have_vary) out.append("vary: Cookie\r\n");
    else out.append("vary: ").append(vary).append(has_cookie ? "" : ", Cookie").append("\r\n");
  }
  if (f == Framing::kChunked) out.append("transfer-encoding: chunked\r\n");
  if (close) out.append("connection: close\r\n");
  out.append("\r\n");
  return out;
}

long ChunkScanner::Feed(const char* data, size_t size) {
  size_t i = 0;
  while (i < size && state_ != kDone) {
    char c = data[i];
    switch (state_) {
      case kSize: {
        int v = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
        if (v >= 0) {
          if (++digits_ > 15) return -1;
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(v);
        } else if (digits_ && (c == ';' || c == ' ' || c == '\t')) {
          state_ = kExt;
        } else if (digits_ && c == '\r') {
          state_ = kSizeLf;
        } else {
          return -1;
        }
        i++;
        break;
      }
      case kExt:
        if (c == '\n') return -1;
        if (c == '\r') state_ = kSizeLf;
        i++;
        break;
      case kSizeLf:
        if (c != '\n') return -1;
        state_ = remaining_ ? kData : kTrailer;
        i++;
        break;
      case kData: {
        size_t take = size - i < remaining_ ? size - i : static_cast<size_t>(remaining_);
        remaining_ -= take;
        i += take;
        if (!remaining_) state_ = kDataCr;
        break;
      }
      case kDataCr:
        if (c != '\r') return -1;
        state_ = kDataLf;
        i++;
        break;
      case kDataLf:
        if (c != '\n') return -1;
        state_ = kSize;
        digits_ = 0;
        remaining_ = 0;
        i++;
        break;
      case kTrailer:
        state_ = c == '\r' ? kTrailerLf : kTrailerLine;
        i++;
        break;
      case kTrailerLf:
        if (c != '\n') return -1;
        state_ = kDone;
        i++;
        break;
      case kTrailerLine:
        if (c == '\n') return -1;
        if (c == '\r') state_ = kTrailerLineLf;
        i++;
        break;
      case kTrailerLineLf:
        if (c != '\n') return -1;
        state_ = kTrailer;
        i++;
        break;
      case kDone:
        break;
    }
  }
  return static_cast<long>(i);
}

}  // namespace berth::edge
