#pragma once
// Character classes and small helpers of the RFC 3261 grammar (section 25.1). Header-only,
// allocation-free: the parser calls these per byte.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sipha::sip::text {

constexpr bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool isAlpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool isAlnum(char c) noexcept { return isDigit(c) || isAlpha(c); }
constexpr bool isWs(char c) noexcept { return c == ' ' || c == '\t'; }
constexpr bool isHex(char c) noexcept {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr int hexValue(char c) noexcept {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") (25.1)
constexpr bool isTokenChar(char c) noexcept {
  if (isAlnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

constexpr bool isToken(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

constexpr char toLower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) return false;
  }
  return true;
}

constexpr bool istartsWith(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Strips SP / HTAB (and stray CR / LF) on both ends: LWS after folding was rewritten.
constexpr std::string_view trim(std::string_view s) noexcept {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && (isWs(s[b]) || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (isWs(s[e - 1]) || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return s.substr(b, e - b);
}

// 1*DIGIT with an upper bound; nullopt on empty input, a non-digit, or a value above `max`.
constexpr std::optional<std::uint32_t> parseUint(std::string_view s,
                                                 std::uint32_t max = 0xffffffffu) noexcept {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : s) {
    if (!isDigit(c)) return std::nullopt;
    value = value * 10 + std::uint64_t(c - '0');
    if (value > max) return std::nullopt;
  }
  return std::uint32_t(value);
}

// Position of the first `c` outside quoted-strings and <...>, or npos. Backslash escapes inside
// quotes are honoured (quoted-pair, 25.1).
constexpr std::size_t findUnquoted(std::string_view s, char c, std::size_t from = 0) noexcept {
  bool quoted = false;
  bool angle = false;
  for (std::size_t i = from; i < s.size(); ++i) {
    char ch = s[i];
    if (quoted) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"') {
        quoted = false;
      }
      continue;
    }
    if (ch == '"') {
      quoted = true;
    } else if (angle) {
      if (ch == '>') angle = false;
    } else if (ch == '<') {
      angle = true;
    } else if (ch == c) {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace sipha::sip::text
