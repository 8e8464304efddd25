#pragma once
// Why an SDP body was refused or could not be rewritten. Untrusted input: the caller answers
// (488 Not Acceptable Here, RFC 3261 21.4.26) and counts errorName().
#include <cstdint>
#include <string_view>

namespace sipha::sdp {

enum class SdpError : std::uint8_t {
  None,
  Empty,
  TooLarge,
  TooManyLines,
  TooManyMedia,
  MalformedLine,       // not "<letter>=<value>", a control character, an empty line inside
  MissingVersion,      // first line is not v=
  UnsupportedVersion,  // v= other than 0
  MissingOrigin,
  MalformedOrigin,
  MissingSessionName,
  MalformedConnection,
  MissingConnection,  // an active m= with no c= at either level (RFC 4566 5.7)
  MalformedMedia,
  ConflictingDirection,  // two different direction attributes at one level
  NoAddressForHold,      // RFC 3264 form wanted but no address other than 0.0.0.0 is known
};

std::string_view errorName(SdpError error) noexcept;

}  // namespace sipha::sdp
