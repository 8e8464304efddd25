#pragma once
// X-Sipha-Serving: who serves the service address (docs/replication.md, "Who serves"). A
// primary of a pair adds it to every 200 it sends to an OPTIONS, so sipha-agent's probe of the
// service address learns which node answers and at which epoch before it promotes its own.
#include <cstdint>
#include <string>
#include <string_view>

namespace sipha::core {

inline constexpr std::string_view kServingHeader = "X-Sipha-Serving";

// "node=<node-id>;epoch=<epoch>": the node id as a token when it is one, otherwise as a
// quoted-string (RFC 3261 25.1: '"' and '\' escaped, control characters left out).
std::string servingHeaderValue(std::string_view nodeId, std::uint64_t epoch);

}  // namespace sipha::core
