#include <netinet/in.h>

#include <boost/test/unit_test.hpp>

#include "transport/peer_format.hpp"

using namespace sipha::transport;

BOOST_AUTO_TEST_SUITE(peer_format)

BOOST_AUTO_TEST_CASE(formats_v4_and_v6) {
  Peer peer;
  BOOST_REQUIRE(makePeer(TransportKind::Udp, "1.2.3.4", 5060, peer));
  BOOST_TEST(formatPeer(peer) == "udp:1.2.3.4:5060");
  BOOST_TEST(formatAddress(peer.address, peer.addressLength) == "1.2.3.4:5060");
  BOOST_REQUIRE(makePeer(TransportKind::Tcp, "[::1]", 5061, peer));
  peer.connectionId = 7;
  BOOST_TEST(formatPeer(peer) == "tcp:[::1]:5061#7");
  BOOST_TEST(formatHost(peer.address) == "::1");
  BOOST_TEST(addressPort(peer.address) == 5061);
}

BOOST_AUTO_TEST_CASE(parse_peer_is_the_inverse_of_format_peer) {
  for (const char* text : {"udp:1.2.3.4:5060", "tcp:[::1]:5061#7", "tls:192.0.2.9:5061"}) {
    Peer peer;
    BOOST_TEST_REQUIRE(parsePeer(text, peer), text);
    BOOST_TEST(formatPeer(peer) == text);
  }
  Peer peer;
  BOOST_TEST(!parsePeer("udp:1.2.3.4:5060#7", peer));  // no connection over UDP
  BOOST_TEST(!parsePeer("sctp:1.2.3.4:5060", peer));
  BOOST_TEST(!parsePeer("tcp:host.example:5060", peer));
  BOOST_TEST(!parsePeer("tcp:1.2.3.4:50x0", peer));
  BOOST_TEST(!parsePeer("tcp:1.2.3.4:5060#7x", peer));
  BOOST_TEST(!parsePeer("tcp:1.2.3.4", peer));
}

BOOST_AUTO_TEST_CASE(only_literal_addresses) {
  sockaddr_storage address{};
  socklen_t length = 0;
  BOOST_TEST(parseLiteralAddress("10.1.2.3", 1, address, length));
  BOOST_TEST(length == sizeof(sockaddr_in));
  BOOST_TEST(parseLiteralAddress("fe80::1", 1, address, length));
  BOOST_TEST(length == sizeof(sockaddr_in6));
  BOOST_TEST(!parseLiteralAddress("sip.example.com", 1, address, length));
  BOOST_TEST(!parseLiteralAddress("", 1, address, length));
  BOOST_TEST(!parseLiteralAddress("1.2.3.4:5060", 1, address, length));
  BOOST_TEST(length == 0u);
}

BOOST_AUTO_TEST_CASE(same_address_compares_port_and_family) {
  Peer a;
  Peer b;
  BOOST_REQUIRE(makePeer(TransportKind::Udp, "1.2.3.4", 5060, a));
  BOOST_REQUIRE(makePeer(TransportKind::Udp, "1.2.3.4", 5060, b));
  BOOST_TEST(sameAddress(a.address, b.address));
  BOOST_REQUIRE(makePeer(TransportKind::Udp, "1.2.3.4", 5061, b));
  BOOST_TEST(!sameAddress(a.address, b.address));
  BOOST_REQUIRE(makePeer(TransportKind::Udp, "::ffff:1.2.3.4", 5060, b));
  BOOST_TEST(!sameAddress(a.address, b.address));
}

BOOST_AUTO_TEST_SUITE_END()
