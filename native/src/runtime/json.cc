#include "json.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace berth {
namespace {

struct Parser {
  const std::string& s;
  size_t i = 0;
  std::string error;

  void Skip() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool Fail(const char* what) {
    if (error.empty()) error = "offset " + std::to_string(i) + ": " + what;
    return false;
  }
  bool Literal(const char* word) {
    size_t n = std::strlen(word);
    if (s.compare(i, n, word) != 0) return Fail("invalid literal");
    i += n;
    return true;
  }
  static void PutUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool Hex4(uint32_t* v) {
    if (i + 4 > s.size()) return Fail("truncated \\u escape");
    *v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s[i++];
      *v <<= 4;
      if (c >= '0' && c <= '9') *v |= c - '0';
      else if (c >= 'a' && c <= 'f') *v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') *v |= c - 'A' + 10;
      else return Fail("bad \\u escape");
    }
    return true;
  }
  bool String(std::string* out) {
    if (i >= s.size() || s[i] != '"') return Fail("expected a string");
    ++i;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (i >= s.size()) return Fail("truncated escape");
      char e = s[i++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') {
            i += 2;
            uint32_t lo = 0;
            if (!Hex4(&lo)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          PutUtf8(out, cp);
          break;
        }
        default: return Fail("bad escape");
      }
    }
    if (i >= s.size()) return Fail("unterminated string");
    ++i;
    return true;
  }
  bool Value(Json* v, int depth) {
    if (depth > 64) return Fail("nested too deeply");
    Skip();
    if (i >= s.size()) return Fail("unexpected end");
    char c = s[i];
    if (c == '{') {
      v->type = Json::kObject;
      ++i;
      Skip();
      if (i < s.size() && s[i] == '}') return ++i, true;
      for (;;) {
        Skip();
        std::string key;
        if (!String(&key)) return false;
        Skip();
        if (i >= s.size() || s[i] != ':') return Fail("expected ':'");
        ++i;
        Json member;
        if (!Value(&member, depth + 1)) return false;
        v->object.emplace_back(std::move(key), std::move(member));
        Skip();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == '}') return ++i, true;
        return Fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v->type = Json::kArray;
      ++i;
      Skip();
      if (i < s.size() && s[i] == ']') return ++i, true;
      for (;;) {
        Json item;
        if (!Value(&item, depth + 1)) return false;
        v->array.push_back(std::move(item));
        Skip();
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == ']') return ++i, true;
        return Fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v->type = Json::kString;
      return String(&v->string);
    }
    if (c == 't') return v->type = Json::kBool, v->boolean = true, Literal("true");
    if (c == 'f') return v->type = Json::kBool, v->boolean = false, Literal("false");
    if (c == 'n') return v->type = Json::kNull, Literal("null");
    if (c == '-' || (c >= '0' && c <= '9')) {
      const char* start = s.c_str() + i;
      char* end = nullptr;
      v->type = Json::kNumber;
      v->number = std::strtod(start, &end);
      if (end == start) return Fail("bad number");
      i += static_cast<size_t>(end - start);
      return true;
    }
    return Fail("unexpected character");
  }
};

}  // namespace

const Json& Json::operator[](const char* key) const {
  static const Json null;
  if (type != kObject) return null;
  for (const auto& kv : object) {
    if (kv.first == key) return kv.second;
  }
  return null;
}

bool ParseJson(const std::string& text, Json* out, std::string* error) {
  Parser p{text, 0, {}};
  if (!p.Value(out, 0)) {
    *error = p.error;
    return false;
  }
  p.Skip();
  if (p.i != text.size()) {
    *error = "offset " + std::to_string(p.i) + ": trailing characters";
    return false;
  }
  return true;
}

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace berth
