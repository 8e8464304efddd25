#include "sip/uri.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "sip/text.hpp"

namespace sipha::sip {
namespace {

using text::isAlnum;

// mark (RFC 3261 25.1)
constexpr bool isMark(char c) noexcept {
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')':
      return true;
    default:
      return false;
  }
}
constexpr bool isUnreserved(char c) noexcept { return isAlnum(c) || isMark(c); }
constexpr bool isReserved(char c) noexcept {
  switch (c) {
    case ';':
    case '/':
    case '?':
    case ':':
    case '@':
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
      return true;
    default:
      return false;
  }
}

// user-unreserved and password chars (RFC 3261 25.1).
constexpr bool isUserChar(char c) noexcept {
  if (isUnreserved(c) || c == '%') return true;
  switch (c) {
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
    case ';':
    case '?':
    case '/':
      return true;
    default:
      return false;
  }
}
constexpr bool isPasswordChar(char c) noexcept {
  return isUnreserved(c) || c == '%' || c == '&' || c == '=' || c == '+' || c == '$' || c == ',';
}
// paramchar / hnv-unreserved plus the separators of the param and header lists.
constexpr bool isParamChar(char c) noexcept {
  if (isUnreserved(c) || c == '%') return true;
  switch (c) {
    case '[':
    case ']':
    case '/':
    case ':':
    case '&':
    case '+':
    case '$':
    case '=':
    case ';':
    case '?':
      return true;
    default:
      return false;
  }
}
// Visible characters only (opaque URIs, tel numbers).
constexpr bool isVisible(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '<' && c != '>' && c != '"';
}

template <typename Pred>
bool allOf(std::string_view s, Pred pred) noexcept {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

bool validScheme(std::string_view s) noexcept {
  if (s.empty() || !text::isAlpha(s.front())) return false;
  return allOf(s, [](char c) { return isAlnum(c) || c == '+' || c == '-' || c == '.'; });
}

bool parseSipRest(std::string_view rest, Uri& out) noexcept {
  const auto at = rest.find('@');
  if (at != std::string_view::npos) {
    const auto userinfo = rest.substr(0, at);
    const auto colon = userinfo.find(':');
    out.user = userinfo.substr(0, colon);
    if (colon != std::string_view::npos) {
      out.password = userinfo.substr(colon + 1);
      out.hasPassword = true;
      if (!allOf(out.password, isPasswordChar)) return false;
    }
    if (out.user.empty() || !allOf(out.user, isUserChar)) return false;
    if (!escapesValid(userinfo)) return false;
    rest.remove_prefix(at + 1);
  }
  // host
  std::size_t hostEnd = 0;
  if (!rest.empty() && rest.front() == '[') {
    hostEnd = rest.find(']');
    if (hostEnd == std::string_view::npos) return false;
    ++hostEnd;
  } else {
    while (hostEnd < rest.size() && rest[hostEnd] != ':' && rest[hostEnd] != ';' &&
           rest[hostEnd] != '?') {
      ++hostEnd;
    }
  }
  out.host = rest.substr(0, hostEnd);
  if (!isValidHost(out.host)) return false;
  rest.remove_prefix(hostEnd);
  if (!rest.empty() && rest.front() == ':') {
    std::size_t portEnd = 1;
    while (portEnd < rest.size() && rest[portEnd] != ';' && rest[portEnd] != '?') ++portEnd;
    const auto port = text::parseUint(rest.substr(1, portEnd - 1), 65535);
    if (!port) return false;
    out.port = std::uint16_t(*port);
    out.hasPort = true;
    rest.remove_prefix(portEnd);
  }
  if (!rest.empty() && rest.front() == ';') {
    const auto q = rest.find('?');
    out.params = rest.substr(1, q == std::string_view::npos ? std::string_view::npos : q - 1);
    rest.remove_prefix(out.params.size() + 1);
    if (!allOf(out.params, isParamChar) || !escapesValid(out.params)) return false;
  }
  if (!rest.empty() && rest.front() == '?') {
    out.headers = rest.substr(1);
    rest = {};
    if (out.headers.empty() || !allOf(out.headers, isParamChar) || !escapesValid(out.headers)) {
      return false;
    }
  }
  return rest.empty();
}

// Next character of an escaped string: decoded value and whether it was written as %HH.
struct Decoded {
  char c;
  bool escaped;
};
Decoded nextChar(std::string_view s, std::size_t& i) noexcept {
  if (s[i] == '%' && i + 2 < s.size() + 0 && text::isHex(s[i + 1]) && text::isHex(s[i + 2])) {
    const char c = char(text::hexValue(s[i + 1]) * 16 + text::hexValue(s[i + 2]));
    i += 3;
    return {c, true};
  }
  return {s[i++], false};
}

// Equality where %HH of an unreserved character equals the character (RFC 3261 19.1.4).
bool escapedEquals(std::string_view a, std::string_view b, bool caseInsensitive) noexcept {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    Decoded x = nextChar(a, i);
    Decoded y = nextChar(b, j);
    if (caseInsensitive) {
      x.c = text::toLower(x.c);
      y.c = text::toLower(y.c);
    }
    if (x.c != y.c) return false;
    if (x.escaped != y.escaped && isReserved(x.c)) return false;
  }
  return i == a.size() && j == b.size();
}

bool hostEquals(const Uri& a, const Uri& b) noexcept {
  if (a.isIpv6() && b.isIpv6()) {
    const auto x = a.hostAddress();
    const auto y = b.hostAddress();
    char bx[64];
    char by[64];
    unsigned char ax[16];
    unsigned char ay[16];
    if (x.size() < sizeof bx && y.size() < sizeof by) {
      std::memcpy(bx, x.data(), x.size());
      bx[x.size()] = 0;
      std::memcpy(by, y.data(), y.size());
      by[y.size()] = 0;
      if (inet_pton(AF_INET6, bx, ax) == 1 && inet_pton(AF_INET6, by, ay) == 1) {
        return std::memcmp(ax, ay, 16) == 0;
      }
    }
  }
  return text::iequals(a.host, b.host);
}

// Splits "h1=v1&h2=v2" and looks `name` up.
std::optional<std::string_view> findHeader(std::string_view headers, std::string_view name) {
  while (!headers.empty()) {
    const auto amp = headers.find('&');
    const auto item = headers.substr(0, amp);
    const auto eq = item.find('=');
    if (escapedEquals(item.substr(0, eq), name, true)) {
      return eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    headers.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

bool headersSubset(std::string_view a, std::string_view b) noexcept {
  std::string_view rest = a;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto item = rest.substr(0, amp);
    const auto eq = item.find('=');
    const auto value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    const auto other = findHeader(b, item.substr(0, eq));
    if (!other || !escapedEquals(value, *other, false)) return false;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return true;
}

// Lists longer than this compare as text: the pairwise comparison is quadratic, and a peer
// controls the input.
constexpr std::size_t kMaxComparedItems = 32;

std::size_t countOf(std::string_view s, char separator) noexcept {
  std::size_t n = 1;
  for (char c : s) n += c == separator;
  return n;
}

bool paramsEqual(ParamList a, ParamList b) noexcept {
  if (countOf(a.text(), ';') > kMaxComparedItems || countOf(b.text(), ';') > kMaxComparedItems) {
    return text::iequals(a.text(), b.text());
  }
  // Parameters that must match when present in either URI (19.1.4).
  static constexpr std::string_view kStrict[] = {"user", "ttl", "method", "maddr", "transport"};
  for (const auto name : kStrict) {
    const auto x = a.find(name);
    const auto y = b.find(name);
    if (x.has_value() != y.has_value()) return false;
    if (x && !escapedEquals(*x, *y, true)) return false;
  }
  // Any other parameter present in both must match.
  for (const auto& p : a) {
    const auto other = b.find(p.name);
    if (other && !escapedEquals(p.value, *other, true)) return false;
  }
  return true;
}

}  // namespace

bool escapesValid(std::string_view in) noexcept {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size() + 0 || !text::isHex(in[i + 1]) || !text::isHex(in[i + 2])) {
        return false;
      }
      i += 2;
    }
  }
  return true;
}

Unescaped unescape(std::string_view in, std::span<char> out) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size();) {
    if (n >= out.size()) return {};
    if (in[i] == '%') {
      if (i + 2 >= in.size() || !text::isHex(in[i + 1]) || !text::isHex(in[i + 2])) return {};
      out[n++] = char(text::hexValue(in[i + 1]) * 16 + text::hexValue(in[i + 2]));
      i += 3;
    } else {
      out[n++] = in[i++];
    }
  }
  return {std::string_view(out.data(), n), true};
}

bool isValidHost(std::string_view host) noexcept {
  if (host.empty()) return false;
  if (host.front() == '[') {
    // IPv6reference = "[" IPv6address "]" (RFC 3261 25.1, RFC 5118 4.1)
    if (host.size() < 4 || host.back() != ']') return false;
    const auto inner = host.substr(1, host.size() - 2);
    char buf[64];
    if (inner.size() >= sizeof buf) return false;
    std::memcpy(buf, inner.data(), inner.size());
    buf[inner.size()] = 0;
    unsigned char addr[16];
    return inet_pton(AF_INET6, buf, addr) == 1;
  }
  if (allOf(host, [](char c) { return text::isDigit(c) || c == '.'; })) {
    char buf[16];
    if (host.size() >= sizeof buf) return false;
    std::memcpy(buf, host.data(), host.size());
    buf[host.size()] = 0;
    unsigned char addr[4];
    return inet_pton(AF_INET, buf, addr) == 1;
  }
  // hostname = *( domainlabel "." ) toplabel [ "." ]; '_' tolerated as deployed DNS uses it.
  std::size_t labelLength = 0;
  for (std::size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (c == '.') {
      if (labelLength == 0) return false;
      labelLength = 0;
    } else if (isAlnum(c) || c == '-' || c == '_') {
      if (++labelLength > 63) return false;
    } else {
      return false;
    }
  }
  return true;
}

bool parseUri(std::string_view text, Uri& out) noexcept {
  out = Uri{};
  out.text = text;
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  out.schemeText = text.substr(0, colon);
  if (!validScheme(out.schemeText)) return false;
  const auto rest = text.substr(colon + 1);
  if (text::iequals(out.schemeText, "sip")) {
    out.scheme = UriScheme::Sip;
    return parseSipRest(rest, out);
  }
  if (text::iequals(out.schemeText, "sips")) {
    out.scheme = UriScheme::Sips;
    return parseSipRest(rest, out);
  }
  if (text::iequals(out.schemeText, "tel")) {
    // telephone-subscriber = number *( ";" par ) (RFC 3966 3)
    out.scheme = UriScheme::Tel;
    const auto semi = rest.find(';');
    out.user = rest.substr(0, semi);
    if (semi != std::string_view::npos) out.params = rest.substr(semi + 1);
    if (out.user.empty() || !allOf(rest, isVisible) || !escapesValid(rest)) return false;
    return true;
  }
  out.scheme = UriScheme::Other;
  out.opaque = rest;
  return !rest.empty() && allOf(rest, isVisible);
}

bool uriEquals(const Uri& a, const Uri& b) noexcept {
  if (a.scheme != b.scheme) return false;
  switch (a.scheme) {
    case UriScheme::Sip:
    case UriScheme::Sips:
      break;
    case UriScheme::Tel:
      return escapedEquals(a.user, b.user, true) && escapedEquals(a.params, b.params, true);
    case UriScheme::Other:
      return text::iequals(a.schemeText, b.schemeText) && a.opaque == b.opaque;
  }
  if (!escapedEquals(a.user, b.user, false)) return false;
  if (a.hasPassword != b.hasPassword || !escapedEquals(a.password, b.password, false)) {
    return false;
  }
  if (!hostEquals(a, b)) return false;
  if (a.hasPort != b.hasPort || a.port != b.port) return false;
  if (!paramsEqual(a.paramList(), b.paramList())) return false;
  if (countOf(a.headers, '&') > kMaxComparedItems || countOf(b.headers, '&') > kMaxComparedItems) {
    return a.headers == b.headers;
  }
  return headersSubset(a.headers, b.headers) && headersSubset(b.headers, a.headers);
}

}  // namespace sipha::sip
