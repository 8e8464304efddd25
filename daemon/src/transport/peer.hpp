#pragma once
// Where a message came from or goes to: the vocabulary shared by the transport layer (which
// fills it) and the transaction layer (which stores it to retransmit). Header-only, a POD.
#include <sys/socket.h>

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

}  // namespace sipha::transport
