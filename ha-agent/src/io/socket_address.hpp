#pragma once
// An IPv4/IPv6 socket address from a literal address and a port (the agent's addresses are
// validated literals, [ha] and [network]).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace sipha::agent::io {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const noexcept { return storage.ss_family; }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  // The literal address (no port) of a received datagram's source, for comparisons and logs.
  std::string addressText() const;
  bool sameAddress(const SocketAddress& other) const noexcept;

  static std::optional<SocketAddress> parse(const std::string& address, std::uint16_t port);
};

// A non-blocking UDP socket bound to address:port (IP_FREEBIND: the address may arrive later,
// as a VIP or an address netcfg is still adding). -1 with `error` set on failure.
int openBoundUdp(const SocketAddress& local, std::string& error);

}  // namespace sipha::agent::io
