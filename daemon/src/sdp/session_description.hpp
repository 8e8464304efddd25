#pragma once
// A parsed SDP body (RFC 4566): every line kept in order as a view into the caller's body, plus
// the few fields a B2BUA acts on (o=, c=, m=, direction attributes). The body must outlive it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sdp/direction.hpp"

namespace sipha::sdp {

inline constexpr std::size_t kNoLine = static_cast<std::size_t>(-1);

struct Line {
  char type = 0;           // the letter before '='
  std::string_view value;  // after '=', without the line ending
};

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 4566 5.2)
struct Origin {
  std::string_view username;
  std::string_view sessionId;  // digits, kept as text (may exceed 64 bits)
  std::uint64_t sessionVersion = 0;
  std::string_view netType;
  std::string_view addrType;
  std::string_view address;
  std::size_t line = kNoLine;
};

// c=<nettype> <addrtype> <connection-address> (RFC 4566 5.7); `address` without /ttl/count.
struct Connection {
  std::string_view netType;
  std::string_view addrType;
  std::string_view address;
  std::size_t line = kNoLine;

  // The RFC 2543 hold address: 0.0.0.0 (and its IPv6 counterpart ::).
  bool isZero() const noexcept { return address == "0.0.0.0" || address == "::"; }
};

// m=<media> <port>[/<count>] <proto> <fmt> ... and the lines up to the next m= (RFC 4566 5.14).
struct MediaSection {
  std::string_view media;
  std::uint16_t port = 0;  // 0: the stream is disabled or rejected (RFC 3264 5.1, 6)
  std::string_view proto;
  std::string_view formats;
  std::size_t firstLine = 0;  // the m= line
  std::size_t endLine = 0;    // one past the section's last line
  std::optional<Connection> connection;
  std::optional<Direction> direction;
  std::size_t directionLine = kNoLine;
};

struct SessionDescription {
  std::vector<Line> lines;
  std::string_view lineEnding = "\r\n";  // as the body used it; the rewriter keeps it
  Origin origin;
  std::optional<Connection> connection;  // session level
  std::optional<Direction> direction;    // session level
  std::size_t directionLine = kNoLine;
  std::vector<MediaSection> media;

  // Media level, else session level, else sendrecv (RFC 3264 5.1).
  Direction effectiveDirection(std::size_t m) const noexcept {
    if (media[m].direction) return *media[m].direction;
    return direction.value_or(Direction::SendRecv);
  }
  // Media level c=, else session level c=; nullptr when neither exists.
  const Connection* effectiveConnection(std::size_t m) const noexcept {
    if (media[m].connection) return &*media[m].connection;
    return connection ? &*connection : nullptr;
  }
};

}  // namespace sipha::sdp
