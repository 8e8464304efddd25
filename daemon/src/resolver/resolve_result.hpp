#pragma once
// The outcome of resolving one next hop: an ordered list of transport peers to try (RFC 3263
// 4.3: the caller tries them in order) or an error naming what failed, for the logs.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "transport/peer.hpp"

namespace sipha::resolver {

enum class ResolveStatus : std::uint8_t {
  Ok,
  NxDomain,       // the name does not exist (RCODE 3)
  NoRecords,      // the name exists but has no record of the type asked (RFC 2308 NODATA)
  Timeout,        // no server answered in time
  ServerFailure,  // RCODE 2 (SERVFAIL)
  Refused,        // RCODE 5
  Malformed,      // an answer that does not parse (every length is checked)
  Failure,        // any other error (out of memory, no resolver, unsupported transport)
  Overloaded,     // too many lookups in flight (ResolverSettings::maxInFlight)
  Invalid,        // the query itself is unusable (empty host, bad URI)
};

std::string_view statusName(ResolveStatus status) noexcept;

// Failures that say something about the name (cached for the negative TTL, RFC 2308 5) as
// opposed to failures of the path to the servers (cached only for the short failure TTL).
constexpr bool isNegativeAnswer(ResolveStatus status) noexcept {
  return status == ResolveStatus::NxDomain || status == ResolveStatus::NoRecords;
}

struct ResolveResult {
  ResolveStatus status = ResolveStatus::Failure;
  std::string name;                    // the host that was resolved, as given
  std::vector<transport::Peer> peers;  // in the order to try them; empty unless Ok
  std::string detail;                  // which lookup failed ("SRV _sip._udp.example.com")

  bool ok() const noexcept { return status == ResolveStatus::Ok && !peers.empty(); }
  // "example.com: NXDOMAIN (A/AAAA example.com)" for a log line.
  std::string describe() const;
};

}  // namespace sipha::resolver
