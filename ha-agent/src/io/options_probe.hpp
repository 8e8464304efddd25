#pragma once
// The service address probe (docs/ha-agent.md, "The service address probe"): an OPTIONS over UDP
// to the peer's sip-interface (or the VIP). Only a primary sipd answers it (a backup drops UDP
// before parsing), and its 200 names the node and epoch that serve in `X-Sipha-Serving:
// node=ID;epoch=N` (docs/replication.md). No answer within the timeout: nobody serves.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "io/socket_address.hpp"

namespace sipha::agent::io {

// The request text: `sequence` makes the branch, tag, Call-ID and CSeq unique.
std::string buildProbeRequest(const SocketAddress& local, const SocketAddress& target,
                              std::string_view nodeId, std::uint64_t sequence);

struct ProbeAnswer {
  int status = 0;                   // the response's status code
  std::optional<std::string> node;  // X-Sipha-Serving's node (nullopt: no such header)
  std::uint64_t epoch = 0;
};

// A response to the request `sequence` made (its Call-ID); nullopt for anything else (another
// probe's late answer, a request, garbage).
std::optional<ProbeAnswer> parseProbeAnswer(std::string_view datagram, std::string_view nodeId,
                                            std::uint64_t sequence);

// The Call-ID of probe `sequence`.
std::string probeCallId(std::string_view nodeId, std::uint64_t sequence);

}  // namespace sipha::agent::io
