#pragma once
// Where a message came from or goes to: the vocabulary shared by the transport layer (which
// fills it) and the transaction layer (which stores it to retransmit). Header-only, a POD.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include <cstdint>
#include <string_view>

namespace sipha::transport {

enum class TransportKind : std::uint8_t { Udp, Tcp, Tls };

constexpr bool isReliable(TransportKind kind) noexcept { return kind != TransportKind::Udp; }

constexpr std::string_view transportName(TransportKind kind) noexcept {
  switch (kind) {
    case TransportKind::Udp:
      return "UDP";
    case TransportKind::Tcp:
      return "TCP";
    case TransportKind::Tls:
      return "TLS";
  }
  return "UDP";
}

struct Peer {
  TransportKind kind = TransportKind::Udp;
  sockaddr_storage address{};  // remote address (IPv4 or IPv6)
  socklen_t addressLength = 0;
  // Stream transports: the connection the message arrived on (0 = none: connect by address).
  std::uint64_t connectionId = 0;
};

// Same family, address and port (scope id included for IPv6).
inline bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b) noexcept {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto* x = reinterpret_cast<const sockaddr_in*>(&a);
    const auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
    const auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
           std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

}  // namespace sipha::transport
