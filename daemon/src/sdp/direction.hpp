#pragma once
// Media direction attributes (RFC 4566 6, RFC 3264 5.1, 6.1) as two bits: "I send", "I receive".
#include <cstdint>
#include <optional>
#include <string_view>

namespace sipha::sdp {

enum class Direction : std::uint8_t {
  Inactive = 0,
  SendOnly = 1,
  RecvOnly = 2,
  SendRecv = 3,
};

constexpr bool sends(Direction d) noexcept { return (std::uint8_t(d) & 1u) != 0; }
constexpr bool receives(Direction d) noexcept { return (std::uint8_t(d) & 2u) != 0; }

// The direction seen from the other end: sendonly <-> recvonly (RFC 3264 6.1).
constexpr Direction reverse(Direction d) noexcept {
  const auto bits = std::uint8_t(d);
  return Direction(std::uint8_t(((bits & 1u) << 1) | ((bits & 2u) >> 1)));
}

// Both constraints at once: what neither side forbids.
constexpr Direction intersect(Direction a, Direction b) noexcept {
  return Direction(std::uint8_t(std::uint8_t(a) & std::uint8_t(b)));
}

constexpr Direction withoutReceive(Direction d) noexcept {
  return Direction(std::uint8_t(std::uint8_t(d) & 1u));
}

// "sendrecv", "sendonly", "recvonly", "inactive" (case-insensitive); nullopt for any other name.
std::optional<Direction> directionFromName(std::string_view name) noexcept;
std::string_view directionName(Direction d) noexcept;

}  // namespace sipha::sdp
