// The announcement packets, byte for byte (RFC 826 / RFC 5227 section 3, RFC 4861 section 4.4).
#include "takeover/announce_packets.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

namespace sipha::netcfg::takeover {

BOOST_AUTO_TEST_SUITE(announce_packets)

const MacAddress kMac = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

BOOST_AUTO_TEST_CASE(gratuitous_arp_frame) {
  const auto frame = gratuitousArp(kMac, {198, 51, 100, 10});
  const std::vector<std::uint8_t> expected = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,                       // broadcast
      0x02, 0x00, 0x5e, 0x10, 0x20, 0x30,                       // source
      0x08, 0x06,                                               // ARP
      0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01,           // Ethernet/IPv4, request
      0x02, 0x00, 0x5e, 0x10, 0x20, 0x30, 198,  51,   100, 10,  // sender
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 198,  51,   100, 10,  // target
  };
  BOOST_TEST(std::vector<std::uint8_t>(frame.begin(), frame.end()) == expected,
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unsolicited_neighbour_advertisement) {
  const Ipv6Bytes vip = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
  const auto packet = unsolicitedNeighbourAdvert(kMac, vip);
  BOOST_TEST(packet[0] == 136);  // type
  BOOST_TEST(packet[1] == 0);    // code
  BOOST_TEST(packet[2] == 0);    // checksum left to the kernel
  BOOST_TEST(packet[3] == 0);
  BOOST_TEST(packet[4] == 0x20);  // Override only: not Router, not Solicited
  BOOST_TEST(packet[5] == 0);
  BOOST_TEST(std::vector<std::uint8_t>(packet.begin() + 8, packet.begin() + 24) ==
                 std::vector<std::uint8_t>(vip.begin(), vip.end()),
             boost::test_tools::per_element());
  BOOST_TEST(packet[24] == 2);  // Target Link-Layer Address
  BOOST_TEST(packet[25] == 1);  // 8 octets
  BOOST_TEST(std::vector<std::uint8_t>(packet.begin() + 26, packet.end()) ==
                 std::vector<std::uint8_t>(kMac.begin(), kMac.end()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg::takeover
