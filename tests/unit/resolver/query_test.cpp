// What RFC 3263 4.1 takes from a URI (resolver/next_hop_query.hpp), and numeric hosts.
#include <boost/test/unit_test.hpp>

#include "resolver/next_hop_query.hpp"
#include "transport/peer_format.hpp"

namespace sipha::resolver {

using transport::TransportKind;

BOOST_AUTO_TEST_SUITE(next_hop_query)

BOOST_AUTO_TEST_CASE(host_port_and_transport_come_from_the_uri) {
  NextHopQuery q;
  BOOST_REQUIRE(queryFromUri("sip:+4930123@GW.Example.com:5070;transport=TCP;lr", q));
  BOOST_TEST(q.host == "GW.Example.com");
  BOOST_TEST(q.port == 5070);
  BOOST_REQUIRE(q.transport.has_value());
  BOOST_TEST(static_cast<int>(*q.transport) == static_cast<int>(TransportKind::Tcp));
  BOOST_TEST(!q.secure);

  BOOST_REQUIRE(queryFromUri("sip:example.com", q));
  BOOST_TEST(q.port == 0);
  BOOST_TEST(!q.transport.has_value());
}

BOOST_AUTO_TEST_CASE(maddr_replaces_the_host) {
  NextHopQuery q;
  BOOST_REQUIRE(queryFromUri("sip:alice@example.com;maddr=proxy.example.net", q));
  BOOST_TEST(q.host == "proxy.example.net");
  BOOST_REQUIRE(queryFromUri("sip:alice@example.com;maddr=[2001:db8::1]", q));
  BOOST_TEST(q.host == "2001:db8::1");
}

BOOST_AUTO_TEST_CASE(sips_means_tls_whatever_the_transport_parameter) {
  NextHopQuery q;
  BOOST_REQUIRE(queryFromUri("sips:example.com;transport=tcp", q));
  BOOST_TEST(q.secure);
  BOOST_TEST(!q.transport.has_value());
  BOOST_TEST(static_cast<int>(fallbackTransport(q)) == static_cast<int>(TransportKind::Tls));
}

BOOST_AUTO_TEST_CASE(unsupported_schemes_and_transports_are_refused) {
  NextHopQuery q;
  BOOST_TEST(!queryFromUri("tel:+4930123", q));
  BOOST_TEST(!queryFromUri("sip:example.com;transport=sctp", q));
  BOOST_TEST(!queryFromUri("sip:example.com;transport=ws", q));
  BOOST_TEST(!queryFromUri("not a uri", q));
  BOOST_TEST(!queryFromUri("sip:example.com:0", q));
}

BOOST_AUTO_TEST_CASE(numeric_hosts_resolve_without_lookup) {
  // RFC 3263 4.1/4.2: a numeric address is used as is; UDP for sip, TLS for sips; default port.
  NextHopQuery q;
  ResolveResult result;
  BOOST_REQUIRE(queryFromUri("sip:192.0.2.7", q));
  BOOST_REQUIRE(resolveLiteral(q, result));
  BOOST_TEST(result.ok());
  BOOST_REQUIRE_EQUAL(result.peers.size(), 1u);
  BOOST_TEST(transport::formatPeer(result.peers[0]) == "udp:192.0.2.7:5060");

  BOOST_REQUIRE(queryFromUri("sips:[2001:db8::5]", q));
  BOOST_REQUIRE(resolveLiteral(q, result));
  BOOST_TEST(transport::formatPeer(result.peers[0]) == "tls:[2001:db8::5]:5061");

  BOOST_REQUIRE(queryFromUri("sip:192.0.2.7:5080;transport=tcp", q));
  BOOST_REQUIRE(resolveLiteral(q, result));
  BOOST_TEST(transport::formatPeer(result.peers[0]) == "tcp:192.0.2.7:5080");

  BOOST_REQUIRE(queryFromUri("sip:gw.example.com", q));
  BOOST_TEST(!resolveLiteral(q, result));
}

BOOST_AUTO_TEST_CASE(keys_ignore_host_case_and_separate_ports_and_transports) {
  NextHopQuery a{"GW.example.com", 0, std::nullopt, false};
  NextHopQuery b{"gw.EXAMPLE.com", 0, std::nullopt, false};
  BOOST_TEST(queryKey(a) == queryKey(b));
  b.port = 5060;
  BOOST_TEST(queryKey(a) != queryKey(b));
  b.port = 0;
  b.transport = TransportKind::Tcp;
  BOOST_TEST(queryKey(a) != queryKey(b));
  b.transport.reset();
  b.secure = true;
  BOOST_TEST(queryKey(a) != queryKey(b));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::resolver
