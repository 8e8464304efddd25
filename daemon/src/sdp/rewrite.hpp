#pragma once
// The SDP serializer: copies a parsed body line by line and changes only what a SdpRewrite names
// (direction, connection address, o= line). Unknown lines keep their text and their order.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdp/direction.hpp"
#include "sdp/session_description.hpp"

namespace sipha::sdp {

struct MediaRewrite {
  // The direction this stream must have (RFC 3264 5.1). Written at media level when the stream
  // does not already have it; a session-level attribute that no longer fits is dropped.
  std::optional<Direction> direction;
  // The connection address this stream must have; empty: keep. addrType empty: keep the type.
  std::string address;
  std::string addrType;
};

struct SdpRewrite {
  std::vector<MediaRewrite> media;    // by m= index; missing entries: keep
  std::optional<std::string> origin;  // the whole o= value

  bool empty() const noexcept;
};

// The body `sdp` was parsed from, with `edits` applied. Lines that need no change are copied
// verbatim; when `edits` is empty the result equals the original body (modulo trailing blank
// lines). c= lines are inserted after m= / i= (RFC 4566 5 order), a= lines at the section end.
std::string rewrite(const SessionDescription& sdp, const SdpRewrite& edits);

}  // namespace sipha::sdp
