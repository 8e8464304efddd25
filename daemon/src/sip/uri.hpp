#pragma once
// SIP, SIPS and TEL URIs as views into the message buffer: RFC 3261 19.1 (sip/sips), RFC 3966
// (tel), RFC 5118 (IPv6 references in brackets). Other schemes are kept as opaque text
// (absoluteURI, RFC 3261 25.1). Parsing validates escapes, host and port; nothing is copied.
#include <cstdint>
#include <span>
#include <string_view>

#include "sip/params.hpp"

namespace sipha::sip {

// Decodes %HH escapes of `in` into `out`. Returns the decoded view into `out`, or an empty view
// with `ok` false on a malformed escape or when `out` is too small.
struct Unescaped {
  std::string_view value;
  bool ok = false;
};
Unescaped unescape(std::string_view in, std::span<char> out) noexcept;

enum class UriScheme : std::uint8_t { Sip, Sips, Tel, Other };

struct Uri {
  UriScheme scheme = UriScheme::Other;
  std::string_view schemeText;  // as written ("sip", "SIP", "tel", "urn", ...)
  std::string_view user;        // still %HH-escaped; for tel: the number
  std::string_view password;
  std::string_view host;  // for an IPv6 reference: with the brackets ("[2001:db8::1]")
  std::uint16_t port = 0;
  bool hasPort = false;
  bool hasPassword = false;
  std::string_view params;   // after the first ';' of the host part, without it
  std::string_view headers;  // after '?', without it
  std::string_view opaque;   // Other: everything after "scheme:"
  std::string_view text;     // the whole URI

  bool isSip() const noexcept { return scheme == UriScheme::Sip || scheme == UriScheme::Sips; }
  bool isIpv6() const noexcept { return !host.empty() && host.front() == '['; }
  ParamList paramList() const noexcept { return ParamList(params); }
  // Host without the IPv6 brackets.
  std::string_view hostAddress() const noexcept {
    return isIpv6() ? host.substr(1, host.size() - 2) : host;
  }
  std::uint16_t portOr(std::uint16_t fallback) const noexcept { return hasPort ? port : fallback; }
  // The user part with %HH escapes decoded into `out` (RFC 3261 19.1.2).
  Unescaped unescapedUser(std::span<char> out) const noexcept { return unescape(user, out); }
};

// Parses `text` (already trimmed). False on any syntax error; `out` is then unspecified.
bool parseUri(std::string_view text, Uri& out) noexcept;

// Validates a host: hostname, IPv4 address, or bracketed IPv6 reference (RFC 5118 4.1).
bool isValidHost(std::string_view host) noexcept;

// True when every '%' starts a valid %HH escape.
bool escapesValid(std::string_view in) noexcept;

// URI equality per RFC 3261 19.1.4 (sip/sips), RFC 3966 5 approximated for tel (case-insensitive
// text), exact text for other schemes.
bool uriEquals(const Uri& a, const Uri& b) noexcept;

}  // namespace sipha::sip
