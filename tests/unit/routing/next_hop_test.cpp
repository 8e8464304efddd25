#define BOOST_TEST_MODULE routing
#include <boost/test/unit_test.hpp>

#include "routing/next_hop.hpp"

using sipha::routing::NextHop;
using sipha::routing::parseContact;
using sipha::routing::parseContactList;
using sipha::routing::requestUri;
using sipha::transport::TransportKind;

BOOST_AUTO_TEST_SUITE(next_hop)

BOOST_AUTO_TEST_CASE(reference_host_port_form) {
  NextHop hop;
  BOOST_TEST(parseContact("10.0.0.1:5080", hop).empty());
  BOOST_TEST(hop.host == "10.0.0.1");
  BOOST_TEST(hop.port == 5080);
  BOOST_TEST(hop.explicitPort);
  BOOST_TEST((hop.transport == TransportKind::Udp));
  BOOST_TEST(requestUri(hop, "786505551212") == "sip:786505551212@10.0.0.1:5080");
  BOOST_TEST(requestUri(hop, "") == "sip:10.0.0.1:5080");
}

BOOST_AUTO_TEST_CASE(reference_tls_form_and_defaults) {
  NextHop hop;
  BOOST_TEST(parseContact(" 10.0.0.2;transport=tls ", hop).empty());
  BOOST_TEST((hop.transport == TransportKind::Tls));
  BOOST_TEST(hop.port == 5061);
  BOOST_TEST(!hop.explicitPort);
  BOOST_TEST(requestUri(hop, "1") == "sip:1@10.0.0.2:5061;transport=tls");
  BOOST_TEST(parseContact("gw.example.com", hop).empty());
  BOOST_TEST(hop.port == 5060);
  // A name without a port stays without one: RFC 3263 looks up NAPTR/SRV (docs/dns.md).
  BOOST_TEST(requestUri(hop, "1") == "sip:1@gw.example.com");
  BOOST_TEST(parseContact("gw.example.com;transport=tcp", hop).empty());
  BOOST_TEST(requestUri(hop, "1") == "sip:1@gw.example.com;transport=tcp");
}

BOOST_AUTO_TEST_CASE(sip_uris) {
  NextHop hop;
  BOOST_TEST(parseContact("sip:ignored@GW.Example.com:5070;transport=TCP", hop).empty());
  BOOST_TEST(hop.host == "gw.example.com");
  BOOST_TEST((hop.transport == TransportKind::Tcp));
  BOOST_TEST(requestUri(hop, "42") == "sip:42@gw.example.com:5070;transport=TCP");
  BOOST_TEST(parseContact("sips:[2001:db8::1]", hop).empty());
  BOOST_TEST(hop.sips);
  BOOST_TEST((hop.transport == TransportKind::Tls));
  BOOST_TEST(requestUri(hop, "7") == "sips:7@[2001:db8::1]:5061");
}

BOOST_AUTO_TEST_CASE(refusals_name_the_problem) {
  NextHop hop;
  BOOST_TEST(!parseContact("", hop).empty());
  BOOST_TEST(!parseContact("tel:+4930123", hop).empty());
  BOOST_TEST(!parseContact("10.0.0.1:99999", hop).empty());
  BOOST_TEST(!parseContact("10.0.0.1:0", hop).empty());
  BOOST_TEST(!parseContact("10.0.0.1;transport=sctp", hop).empty());
  BOOST_TEST(!parseContact("sips:10.0.0.1;transport=udp", hop).empty());
  BOOST_TEST(!parseContact("sip:10.0.0.1?subject=x", hop).empty());
}

BOOST_AUTO_TEST_CASE(comma_lists_in_order) {
  std::vector<NextHop> hops;
  BOOST_TEST(parseContactList("10.0.0.1:5060, sip:10.0.0.2:5062 ,10.0.0.3", hops).empty());
  BOOST_TEST_REQUIRE(hops.size() == 3u);
  BOOST_TEST(hops[0].host == "10.0.0.1");
  BOOST_TEST(hops[1].port == 5062);
  BOOST_TEST(hops[2].host == "10.0.0.3");
  hops.clear();
  const auto reason = parseContactList("10.0.0.1, bad host", hops);
  BOOST_TEST(reason.find("bad host") != std::string::npos);
  BOOST_TEST(!parseContactList(" ", hops).empty());
}

BOOST_AUTO_TEST_SUITE_END()
