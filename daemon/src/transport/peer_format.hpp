#pragma once
// Text forms of transport addresses (logs, D-Bus, Via received=) and the parsing of the literal
// addresses the configuration gives (sip-interface: no DNS names, RFC 3261 section 18 binds to
// literal addresses here).
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/peer.hpp"

namespace sipha::transport {

// "1.2.3.4:5060" or "[::1]:5060"; "" for an unknown family.
std::string formatAddress(const sockaddr_storage& address, socklen_t length);

// "udp:1.2.3.4:5060", "tcp:[::1]:5060", "tls:..."; stream peers add "#<connectionId>" when set.
std::string formatPeer(const Peer& peer);
// The inverse of formatPeer (literal addresses only). False for anything else.
bool parsePeer(std::string_view text, Peer& peer) noexcept;

// The IP text only ("1.2.3.4", "::1"), without port or brackets.
std::string formatHost(const sockaddr_storage& address);

std::uint16_t addressPort(const sockaddr_storage& address) noexcept;

// Parses a literal IPv4 or IPv6 address (brackets accepted for IPv6) into a sockaddr with the
// given port. Returns false for anything else (host names included).
bool parseLiteralAddress(std::string_view host, std::uint16_t port, sockaddr_storage& address,
                         socklen_t& length) noexcept;

// Builds a Peer for a literal address; kind defaults to UDP. False when host is not literal.
bool makePeer(TransportKind kind, std::string_view host, std::uint16_t port, Peer& peer) noexcept;

}  // namespace sipha::transport
