#include "common/net/ip_network.hpp"

#include <arpa/inet.h>

#include <boost/test/unit_test.hpp>
#include <cstring>

using namespace sipha::common;

namespace {

IpAddress ip(const char* text) {
  const auto address = IpAddress::parse(text);
  BOOST_REQUIRE_MESSAGE(address.has_value(), text);
  return *address;
}

IpNetwork net(const char* text) {
  auto parsed = IpNetwork::parse(text);
  BOOST_REQUIRE_MESSAGE(parsed.value.has_value(), parsed.reason);
  return *parsed.value;
}

sockaddr_storage v6Socket(const char* text) {
  sockaddr_storage storage{};
  auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, text, &v6.sin6_addr);
  return storage;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ip_network)

BOOST_AUTO_TEST_CASE(addresses_parse_and_print_canonically) {
  BOOST_TEST(ip("192.0.2.1").toString() == "192.0.2.1");
  BOOST_TEST(ip("2001:DB8::0001").toString() == "2001:db8::1");
  BOOST_TEST(ip("[::1]").toString() == "::1");
  BOOST_TEST(!IpAddress::parse("gw.example.com").has_value());
  BOOST_TEST(!IpAddress::parse("").has_value());
  BOOST_TEST(!IpAddress::parse("1.2.3.4:5060").has_value());
  BOOST_TEST(!IpAddress::parse(std::string(100, '1')).has_value());
}

BOOST_AUTO_TEST_CASE(ipv4_mapped_addresses_are_ipv4) {
  BOOST_TEST((ip("::ffff:10.1.2.3") == ip("10.1.2.3")));
  const IpAddress fromSocket = IpAddress::from(v6Socket("::ffff:192.0.2.9"));
  BOOST_TEST((fromSocket == ip("192.0.2.9")));
  BOOST_TEST(net("192.0.2.0/24").contains(fromSocket));
  BOOST_TEST((IpAddress::from(v6Socket("2001:db8::5")) == ip("2001:db8::5")));
  sockaddr_storage unix{};
  unix.ss_family = AF_UNIX;
  BOOST_TEST(IpAddress::from(unix).family == 0);
}

BOOST_AUTO_TEST_CASE(ipv4_networks_match_their_addresses_only) {
  const IpNetwork ten = net("10.0.0.0/8");
  BOOST_TEST(ten.contains(ip("10.255.1.2")));
  BOOST_TEST(!ten.contains(ip("11.0.0.1")));
  BOOST_TEST(!ten.contains(ip("::ffff:11.0.0.1")));
  const IpNetwork odd = net("192.0.2.128/25");
  BOOST_TEST(odd.contains(ip("192.0.2.200")));
  BOOST_TEST(!odd.contains(ip("192.0.2.127")));
  const IpNetwork host = net("192.0.2.7");
  BOOST_TEST(host.isHost());
  BOOST_TEST(host.toString() == "192.0.2.7/32");
  BOOST_TEST(host.contains(ip("192.0.2.7")));
  BOOST_TEST(!host.contains(ip("192.0.2.8")));
  BOOST_TEST(net("0.0.0.0/0").contains(ip("203.0.113.1")));
  BOOST_TEST(!net("0.0.0.0/0").contains(ip("2001:db8::1")));  // families never mix
}

BOOST_AUTO_TEST_CASE(ipv6_networks_match_their_addresses_only) {
  const IpNetwork doc = net("2001:db8::/32");
  BOOST_TEST(doc.contains(ip("2001:db8:ffff::1")));
  BOOST_TEST(!doc.contains(ip("2001:db9::1")));
  BOOST_TEST(!doc.contains(ip("32.1.13.184")));  // 2001:0db8 as IPv4 bytes
  const IpNetwork odd = net("2001:db8:0:8000::/49");
  BOOST_TEST(odd.contains(ip("2001:db8:0:ffff::1")));
  BOOST_TEST(!odd.contains(ip("2001:db8:0:7fff::1")));
  BOOST_TEST(net("::1/128").contains(ip("::1")));
  BOOST_TEST(!net("::1/128").contains(ip("::2")));
  BOOST_TEST(net("::/0").contains(ip("fe80::1")));
}

BOOST_AUTO_TEST_CASE(bad_networks_say_why) {
  BOOST_TEST(IpNetwork::parse("10.0.0.0/33").reason ==
             "prefix length must be 0-32 in '10.0.0.0/33'");
  BOOST_TEST(IpNetwork::parse("2001:db8::/129").reason ==
             "prefix length must be 0-128 in '2001:db8::/129'");
  BOOST_TEST(IpNetwork::parse("10.0.0.0/").reason == "prefix length must be 0-32 in '10.0.0.0/'");
  BOOST_TEST(IpNetwork::parse("10.0.0.0/8x").reason ==
             "prefix length must be 0-32 in '10.0.0.0/8x'");
  BOOST_TEST(IpNetwork::parse("10.0.0.1/8").reason ==
             "'10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)");
  BOOST_TEST(IpNetwork::parse("gw/24").reason ==
             "expected an IPv4 or IPv6 network ADDRESS/LENGTH, got 'gw/24'");
}

BOOST_AUTO_TEST_CASE(lists_are_split_on_commas_and_blanks) {
  const auto list = parseNetworkList(" 127.0.0.0/8,::1/128 ,\t10.0.0.0/8  2001:db8::/32, ");
  BOOST_REQUIRE(list.value.has_value());
  BOOST_REQUIRE_EQUAL(list.value->size(), 4u);
  BOOST_TEST((*list.value)[3].toString() == "2001:db8::/32");
  BOOST_TEST(parseNetworkList("").value->empty());
  const auto bad = parseNetworkList("127.0.0.0/8, nope");
  BOOST_TEST(!bad.value.has_value());
  BOOST_TEST(bad.reason == "expected an IPv4 or IPv6 network ADDRESS/LENGTH, got 'nope'");
}

BOOST_AUTO_TEST_SUITE_END()
