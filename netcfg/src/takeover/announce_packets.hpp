#pragma once
// The packets that tell a link's neighbours an address moved here. Pure byte builders (tested
// byte for byte); announcer.hpp sends them.
#include <array>
#include <cstdint>

namespace sipha::netcfg::takeover {

using MacAddress = std::array<std::uint8_t, 6>;
using Ipv4Bytes = std::array<std::uint8_t, 4>;
using Ipv6Bytes = std::array<std::uint8_t, 16>;

inline constexpr std::size_t kGratuitousArpSize = 42;    // Ethernet header + ARP for IPv4
inline constexpr std::size_t kNeighbourAdvertSize = 32;  // ICMPv6 NA + target link-layer option

// An ARP Announcement (RFC 5227 section 3, RFC 826 format) as a whole Ethernet frame: broadcast,
// op request, sender = target = `address`, target hardware address zero. Linux neighbours
// update an existing entry for `address` on it (gratuitous ARP, arp_process()).
std::array<std::uint8_t, kGratuitousArpSize> gratuitousArp(const MacAddress& mac,
                                                           const Ipv4Bytes& address);

// An unsolicited Neighbor Advertisement (RFC 4861 sections 4.4 and 7.2.6): Override set,
// Solicited and Router clear, target `address`, Target Link-Layer Address option = `mac`.
// The ICMPv6 body only: the kernel fills the checksum of a raw ICMPv6 socket (RFC 3542 3.1).
std::array<std::uint8_t, kNeighbourAdvertSize> unsolicitedNeighbourAdvert(const MacAddress& mac,
                                                                          const Ipv6Bytes& address);

}  // namespace sipha::netcfg::takeover
