#include "sip/via.hpp"

#include "sip/text.hpp"
#include "sip/uri.hpp"

namespace sipha::sip {
namespace {

void skipWs(std::string_view& s) noexcept {
  while (!s.empty() && text::isWs(s.front())) s.remove_prefix(1);
}

std::string_view takeToken(std::string_view& s) noexcept {
  std::size_t n = 0;
  while (n < s.size() && text::isTokenChar(s[n])) ++n;
  const auto token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

// SLASH = SWS "/" SWS (RFC 3261 25.1)
bool takeSlash(std::string_view& s) noexcept {
  skipWs(s);
  if (s.empty() || s.front() != '/') return false;
  s.remove_prefix(1);
  skipWs(s);
  return true;
}

bool applyParams(Via& out) noexcept {
  const ParamList params(out.params);
  if (!params.valid()) return false;
  for (const auto& p : params) {
    if (text::iequals(p.name, "branch")) {
      if (p.value.empty()) return false;
      out.branch = p.value;
    } else if (text::iequals(p.name, "received")) {
      out.received = p.value;
    } else if (text::iequals(p.name, "maddr")) {
      out.maddr = p.value;
    } else if (text::iequals(p.name, "ttl")) {
      const auto ttl = text::parseUint(p.value, 255);
      if (!ttl) return false;
      out.ttl = std::uint8_t(*ttl);
      out.hasTtl = true;
    } else if (text::iequals(p.name, "rport")) {
      if (p.hasValue && !text::parseUint(p.value, 65535)) return false;
      out.rport = p.value;
      out.hasRport = true;
      const char* begin = p.name.data();
      const char* end =
          p.hasValue ? p.value.data() + p.value.size() : p.name.data() + p.name.size();
      out.rportParam = std::string_view(begin, std::size_t(end - begin));
    }
  }
  return true;
}

}  // namespace

bool parseVia(std::string_view value, Via& out) noexcept {
  out = Via{};
  std::string_view s = text::trim(value);
  out.text = s;
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport
  out.protocolName = takeToken(s);
  if (out.protocolName.empty() || !takeSlash(s)) return false;
  out.protocolVersion = takeToken(s);
  if (out.protocolVersion.empty() || !takeSlash(s)) return false;
  out.transport = takeToken(s);
  if (out.transport.empty()) return false;
  if (s.empty() || !text::isWs(s.front())) return false;  // LWS before sent-by
  skipWs(s);
  // sent-by = host [ COLON port ]
  std::size_t hostEnd = 0;
  if (!s.empty() && s.front() == '[') {
    hostEnd = s.find(']');
    if (hostEnd == std::string_view::npos) return false;
    ++hostEnd;
  } else {
    while (hostEnd < s.size() && s[hostEnd] != ':' && s[hostEnd] != ';' &&
           !text::isWs(s[hostEnd])) {
      ++hostEnd;
    }
  }
  out.host = s.substr(0, hostEnd);
  if (!isValidHost(out.host)) return false;
  s.remove_prefix(hostEnd);
  skipWs(s);
  if (!s.empty() && s.front() == ':') {
    s.remove_prefix(1);
    skipWs(s);
    std::size_t n = 0;
    while (n < s.size() && text::isDigit(s[n])) ++n;
    const auto port = text::parseUint(s.substr(0, n), 65535);
    if (!port) return false;
    out.port = std::uint16_t(*port);
    out.hasPort = true;
    s.remove_prefix(n);
    skipWs(s);
  }
  if (s.empty()) return true;
  if (s.front() != ';') return false;
  out.params = s.substr(1);
  return applyParams(out);
}

}  // namespace sipha::sip
