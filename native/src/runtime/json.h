// A small JSON reader/writer for berth-runtime (config.json, state.json).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace berth {

struct Json {
  enum Type { kNull, kBool, kNumber, kString, kArray, kObject } type = kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;

  // Member lookup; a shared null for absent keys or non-objects.
  const Json& operator[](const char* key) const;
  bool IsNull() const { return type == kNull; }
  bool IsString() const { return type == kString; }
  bool IsArray() const { return type == kArray; }
  bool IsObject() const { return type == kObject; }
  bool IsNumber() const { return type == kNumber; }
  bool IsBool() const { return type == kBool; }
};

// Returns false and sets *error ("offset 12: expected ','") on malformed input.
bool ParseJson(const std::string& text, Json* out, std::string* error);

// "\"...\"" with JSON escapes.
std::string JsonQuote(const std::string& s);

}  // namespace berth
