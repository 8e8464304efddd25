#pragma once
// IP addresses and networks in binary form (RFC 4632 CIDR notation for IPv4, RFC 4291 2.3 prefix
// notation for IPv6): parsed once from the configuration, matched against a packet's source
// without any text handling or allocation. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a
// dual-stack socket reports for an IPv4 peer) is the IPv4 address it maps, so "10.0.0.0/8"
// matches it. Scope ids (fe80::1%eth0) are not part of the address.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/option_values.hpp"

namespace sipha::common {

struct IpAddress {
  std::uint8_t family = 0;  // AF_INET, AF_INET6, or 0 (none)
  std::array<std::uint8_t, 16> bytes{};

  // A literal IPv4 or IPv6 address (IPv6 with or without brackets); nullopt otherwise.
  static std::optional<IpAddress> parse(std::string_view text) noexcept;
  // The address of a socket address (AF_INET / AF_INET6); family 0 for anything else.
  static IpAddress from(const sockaddr_storage& address) noexcept;

  std::string toString() const;  // "192.0.2.1", "2001:db8::1"; "" without a family
  bool operator==(const IpAddress&) const = default;
};

struct IpAddressHash {
  std::size_t operator()(const IpAddress& address) const noexcept;
};

struct IpNetwork {
  IpAddress address;  // the host bits below `length` are zero
  std::uint8_t length = 0;

  // "ADDRESS/LENGTH" (LENGTH 0-32 for IPv4, 0-128 for IPv6); a bare address is a host network
  // (/32 or /128). Host bits set below the length ("10.1.2.3/8") are refused: the operator most
  // likely meant another network. The value or the reason it was refused.
  static ValueOr<IpNetwork> parse(std::string_view text);

  bool contains(const IpAddress& address) const noexcept;
  bool isHost() const noexcept { return length == (address.family == AF_INET ? 32 : 128); }
  std::string toString() const;  // "10.0.0.0/8"
  bool operator==(const IpNetwork&) const = default;
};

// A list of networks separated by commas and/or blanks ("10.0.0.0/8, 2001:db8::/32"); an empty
// text is an empty list. The list, or the reason naming the element refused.
ValueOr<std::vector<IpNetwork>> parseNetworkList(std::string_view text);

}  // namespace sipha::common
