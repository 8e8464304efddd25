#pragma once
// Where a response to a request goes and how its top Via is rewritten (RFC 3261 18.2.1 received,
// 18.2.2 destination; RFC 3581 rport). Kept apart so the rules are in one small place.
#include <array>
#include <cstdint>
#include <string_view>

#include "sip/via.hpp"
#include "transport/peer.hpp"

namespace sipha::core {

struct ResponseRoute {
  transport::Peer destination;
  std::array<char, 46> receivedBuffer{};  // INET6_ADDRSTRLEN
  std::string_view received;              // set when sent-by differs from the source address
  std::uint16_t rport = 0;                // set when the request asked for rport
};

// `route` is filled in place (its views point into itself, so it is not copied around).
void computeResponseRoute(const sip::Via& topVia, const transport::Peer& source,
                          ResponseRoute& route);

}  // namespace sipha::core
