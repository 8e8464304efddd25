#pragma once
// name-addr / addr-spec with header parameters (RFC 3261 20.10, 20.20, 20.39, 25.1):
// From, To, Contact, Route, Record-Route, Refer-To, P-Asserted-Identity ...
#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/params.hpp"
#include "sip/uri.hpp"

namespace sipha::sip {

struct NameAddr {
  std::string_view displayName;  // without quotes, escapes left in place; may be empty
  std::string_view uri;          // the URI text (inside <> for the name-addr form)
  std::string_view params;       // header parameters after the URI, without the leading ';'
  std::string_view tag;          // value of ;tag=, empty if absent
  bool star = false;             // Contact: *
  bool angleBrackets = false;

  ParamList paramList() const noexcept { return ParamList(params); }
  // Parses `uri` on demand.
  bool parsedUri(Uri& out) const noexcept { return parseUri(uri, out); }
  // Contact q-value (RFC 3261 20.10) in thousandths, 0..1000; nullopt if absent or malformed.
  std::optional<std::uint16_t> q() const noexcept;
  // Contact ;expires= (RFC 3261 20.10) in seconds; nullopt if absent or malformed.
  std::optional<std::uint32_t> expires() const noexcept;
};

// Parses one value (already split from a comma list). False on syntax errors: unterminated quote
// or bracket, junk between parts, malformed parameters, or a URI that does not parse.
bool parseNameAddr(std::string_view value, NameAddr& out) noexcept;

// q-value syntax "0[.ddd]" / "1[.000]" -> thousandths.
std::optional<std::uint16_t> parseQValue(std::string_view text) noexcept;

}  // namespace sipha::sip
