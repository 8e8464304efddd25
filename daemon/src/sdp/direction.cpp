#include "sdp/direction.hpp"

#include "sip/text.hpp"

namespace sipha::sdp {

std::optional<Direction> directionFromName(std::string_view name) noexcept {
  using sip::text::iequals;
  if (iequals(name, "sendrecv")) return Direction::SendRecv;
  if (iequals(name, "sendonly")) return Direction::SendOnly;
  if (iequals(name, "recvonly")) return Direction::RecvOnly;
  if (iequals(name, "inactive")) return Direction::Inactive;
  return std::nullopt;
}

std::string_view directionName(Direction d) noexcept {
  switch (d) {
    case Direction::SendRecv:
      return "sendrecv";
    case Direction::SendOnly:
      return "sendonly";
    case Direction::RecvOnly:
      return "recvonly";
    case Direction::Inactive:
      return "inactive";
  }
  return "sendrecv";
}

}  // namespace sipha::sdp
