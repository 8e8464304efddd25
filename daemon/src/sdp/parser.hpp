#pragma once
// SDP parser (RFC 4566): one pass over the body, views only, never throws; the first problem
// found is reported as an SdpError with the (0-based) line where it was found.
#include <cstddef>
#include <string_view>

#include "sdp/sdp_error.hpp"
#include "sdp/session_description.hpp"

namespace sipha::sdp {

// Limits on what a peer can make the parser allocate (STYLE.md practice 5).
struct SdpLimits {
  std::size_t maxBytes = 32768;
  std::size_t maxLines = 512;
  std::size_t maxMedia = 32;  // also the width of the per-stream masks (hold.hpp)
};

struct SdpParseResult {
  SessionDescription sdp;
  SdpError error = SdpError::None;
  std::size_t errorLine = kNoLine;

  bool ok() const noexcept { return error == SdpError::None; }
};

SdpParseResult parseSdp(std::string_view body, const SdpLimits& limits = {});

}  // namespace sipha::sdp

namespace sipha::sdp {

// The value of an o= line (after "o="); false when it does not have the six fields of RFC 4566
// 5.2 with numeric sess-id and sess-version (the version must fit 64 bits). `line` untouched.
bool parseOriginValue(std::string_view value, Origin& out) noexcept;

}  // namespace sipha::sdp
