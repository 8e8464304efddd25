#include "takeover/announce_packets.hpp"

#include <algorithm>

namespace sipha::netcfg::takeover {

std::array<std::uint8_t, kGratuitousArpSize> gratuitousArp(const MacAddress& mac,
                                                           const Ipv4Bytes& address) {
  std::array<std::uint8_t, kGratuitousArpSize> frame{};
  auto* out = frame.data();
  std::fill_n(out, 6, 0xff);  // Ethernet destination: broadcast
  std::copy(mac.begin(), mac.end(), out + 6);
  out[12] = 0x08;  // EtherType ARP 0x0806
  out[13] = 0x06;
  std::uint8_t* arp = out + 14;
  arp[0] = 0x00;  // hardware type Ethernet (1)
  arp[1] = 0x01;
  arp[2] = 0x08;  // protocol type IPv4 0x0800
  arp[3] = 0x00;
  arp[4] = 6;     // hardware address length
  arp[5] = 4;     // protocol address length
  arp[6] = 0x00;  // operation: request (1), RFC 5227 section 3
  arp[7] = 0x01;
  std::copy(mac.begin(), mac.end(), arp + 8);           // sender hardware address
  std::copy(address.begin(), address.end(), arp + 14);  // sender protocol address
  // target hardware address (arp + 18 .. 23) stays zero
  std::copy(address.begin(), address.end(), arp + 24);  // target protocol address
  return frame;
}

std::array<std::uint8_t, kNeighbourAdvertSize> unsolicitedNeighbourAdvert(
    const MacAddress& mac, const Ipv6Bytes& address) {
  std::array<std::uint8_t, kNeighbourAdvertSize> packet{};
  auto* out = packet.data();
  out[0] = 136;                                        // ICMPv6 Neighbor Advertisement
  out[1] = 0;                                          // code
  out[4] = 0x20;                                       // flags: R=0 S=0 O=1 (RFC 4861 section 4.4)
  std::copy(address.begin(), address.end(), out + 8);  // target address
  out[24] = 2;  // option: Target Link-Layer Address (RFC 4861 section 4.6.1)
  out[25] = 1;  // length in units of 8 octets
  std::copy(mac.begin(), mac.end(), out + 26);
  return packet;
}

}  // namespace sipha::netcfg::takeover
