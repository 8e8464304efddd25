#pragma once
// What RFC 3263 section 4 resolves: the target host of a SIP or SIPS URI (its maddr when
// present), the port and transport parameter when the URI gives them, and whether TLS is
// required (sips).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "resolver/resolve_result.hpp"
#include "transport/peer.hpp"

namespace sipha::resolver {

struct NextHopQuery {
  std::string host;        // host name or literal address (IPv6 with or without brackets)
  std::uint16_t port = 0;  // 0: the URI gives none (SRV is used, RFC 3263 4.2)
  std::optional<transport::TransportKind> transport;  // the URI's transport parameter
  bool secure = false;                                // a sips URI: TLS only (RFC 3263 4.1)

  friend bool operator==(const NextHopQuery&, const NextHopQuery&) = default;
};

// Fills `out` from a SIP or SIPS URI text ("sip:gw.example.com;transport=tcp"). RFC 3263 4.1:
// maddr replaces the host; transport=udp|tcp|tls; sips implies TLS. False for other schemes,
// syntax errors and transports sipd does not support (sctp, ws ...).
bool queryFromUri(std::string_view uriText, NextHopQuery& out);

// The default port of a transport: 5061 for TLS, 5060 otherwise (RFC 3261 19.1.2).
constexpr std::uint16_t defaultPort(transport::TransportKind kind) noexcept {
  return kind == transport::TransportKind::Tls ? 5061 : 5060;
}

// The transport when neither NAPTR nor SRV chose one: the transport parameter, else TLS for sips
// and UDP for sip (RFC 3263 4.1).
transport::TransportKind fallbackTransport(const NextHopQuery& query) noexcept;

// The host without IPv6 brackets.
std::string_view bareHost(std::string_view host) noexcept;

// RFC 3263 4.1/4.2 for a numeric host: no lookup, one peer. False when the host is a name.
bool resolveLiteral(const NextHopQuery& query, ResolveResult& result);

// The cache and in-flight key: lower-case host, port, transport parameter, sips.
std::string queryKey(const NextHopQuery& query);

}  // namespace sipha::resolver
