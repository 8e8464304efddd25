#pragma once
// ICMP echo to the witness (docs/ha-agent.md: the BIG-IP self IP, or the gateway in takeover
// mode; the reference's hosts must answer the BIG-IP's ICMP anyway). A raw socket (the agent has
// CAP_NET_RAW), filtered to echo replies; a reply counts when it comes from the witness with this
// prober's identifier. IPv4 and IPv6.
#include <cstdint>
#include <optional>
#include <string>

#include "io/socket_address.hpp"

namespace sipha::agent::io {

class IcmpEcho {
 public:
  IcmpEcho() = default;
  IcmpEcho(const IcmpEcho&) = delete;
  IcmpEcho& operator=(const IcmpEcho&) = delete;
  ~IcmpEcho();

  // Opens the socket toward `witness`. False with `error` set on failure.
  bool open(const std::string& witness, std::string& error);
  int fd() const noexcept { return fd_; }

  // Sends echo request `sequence`. False when the kernel refused it at once (no route: the
  // witness is unreachable now).
  bool send(std::uint16_t sequence);

  // Reads every queued datagram; the sequence number of the last echo reply from the witness
  // with this prober's identifier, if any.
  std::optional<std::uint16_t> readReplies();

 private:
  int fd_ = -1;
  SocketAddress witness_;
  std::uint16_t identifier_ = 0;
};

// RFC 1071 Internet checksum (ICMPv4; the kernel computes ICMPv6's).
std::uint16_t internetChecksum(const std::uint8_t* data, std::size_t size) noexcept;

}  // namespace sipha::agent::io
