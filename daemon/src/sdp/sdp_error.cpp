#include "sdp/sdp_error.hpp"

namespace sipha::sdp {

std::string_view errorName(SdpError error) noexcept {
  switch (error) {
    case SdpError::None:
      return "none";
    case SdpError::Empty:
      return "empty";
    case SdpError::TooLarge:
      return "too-large";
    case SdpError::TooManyLines:
      return "too-many-lines";
    case SdpError::TooManyMedia:
      return "too-many-media";
    case SdpError::MalformedLine:
      return "malformed-line";
    case SdpError::MissingVersion:
      return "missing-version";
    case SdpError::UnsupportedVersion:
      return "unsupported-version";
    case SdpError::MissingOrigin:
      return "missing-origin";
    case SdpError::MalformedOrigin:
      return "malformed-origin";
    case SdpError::MissingSessionName:
      return "missing-session-name";
    case SdpError::MalformedConnection:
      return "malformed-connection";
    case SdpError::MissingConnection:
      return "missing-connection";
    case SdpError::MalformedMedia:
      return "malformed-media";
    case SdpError::ConflictingDirection:
      return "conflicting-direction";
    case SdpError::NoAddressForHold:
      return "no-address-for-hold";
  }
  return "unknown";
}

}  // namespace sipha::sdp
