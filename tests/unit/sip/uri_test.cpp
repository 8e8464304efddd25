#include <array>
#include <boost/test/unit_test.hpp>
#include <string>

#include "sip/name_addr.hpp"
#include "sip/uri.hpp"
#include "sip/via.hpp"

using namespace sipha::sip;

namespace {
Uri mustParse(std::string_view text) {
  Uri u;
  BOOST_REQUIRE_MESSAGE(parseUri(text, u), text);
  return u;
}
bool equal(std::string_view a, std::string_view b) { return uriEquals(mustParse(a), mustParse(b)); }
}  // namespace

BOOST_AUTO_TEST_SUITE(uri)

BOOST_AUTO_TEST_CASE(sip_uri_parts) {
  const Uri u = mustParse("sips:alice:secret@example.com:5061;transport=tcp;lr?subject=hi&x=y");
  BOOST_TEST((u.scheme == UriScheme::Sips));
  BOOST_TEST(u.user == "alice");
  BOOST_TEST(u.hasPassword);
  BOOST_TEST(u.password == "secret");
  BOOST_TEST(u.host == "example.com");
  BOOST_TEST(u.hasPort);
  BOOST_TEST(u.port == 5061);
  BOOST_TEST(u.params == "transport=tcp;lr");
  BOOST_TEST(u.paramList().find("TRANSPORT").value() == "tcp");
  BOOST_TEST(u.paramList().has("lr"));
  BOOST_TEST(u.paramList().find("lr").value().empty());
  BOOST_TEST(!u.paramList().has("maddr"));
  BOOST_TEST(u.headers == "subject=hi&x=y");
}

BOOST_AUTO_TEST_CASE(ipv6_references_rfc5118) {
  const Uri u = mustParse("sip:bob@[2001:db8::10]:5070");
  BOOST_TEST(u.isIpv6());
  BOOST_TEST(u.host == "[2001:db8::10]");
  BOOST_TEST(u.hostAddress() == "2001:db8::10");
  BOOST_TEST(u.port == 5070);
  BOOST_TEST(mustParse("sip:[::ffff:192.0.2.1]").isIpv6());
  Uri bad;
  BOOST_TEST(!parseUri("sip:bob@2001:db8::10", bad));
  BOOST_TEST(!parseUri("sip:bob@[2001:db8::10", bad));
  BOOST_TEST(!parseUri("sip:bob@[2001:db8:::10]", bad));
  BOOST_TEST(!parseUri("sip:bob@[example.com]", bad));
  BOOST_TEST(equal("sip:[2001:db8::10]", "sip:[2001:DB8:0:0::10]"));
}

BOOST_AUTO_TEST_CASE(hosts_and_ports) {
  Uri u;
  BOOST_TEST(parseUri("sip:192.0.2.1", u));
  BOOST_TEST(!parseUri("sip:192.0.2.256", u));
  BOOST_TEST(!parseUri("sip:host:65536", u));
  BOOST_TEST(!parseUri("sip:host:", u));
  BOOST_TEST(!parseUri("sip:", u));
  BOOST_TEST(!parseUri("sip:@host", u));
  BOOST_TEST(!parseUri("sip:ho st", u));
  BOOST_TEST(!parseUri("sip:a..b", u));
  BOOST_TEST(!parseUri("nocolon", u));
  BOOST_TEST(!parseUri("1sip:x", u));
  BOOST_TEST(parseUri("sip:host:0", u));
  BOOST_TEST(u.port == 0);
  BOOST_TEST(u.hasPort);
}

BOOST_AUTO_TEST_CASE(escapes) {
  const Uri u = mustParse("sip:sip%3Auser%40example.com@example.net");
  std::array<char, 64> buf{};
  const auto user = u.unescapedUser(buf);
  BOOST_TEST(user.ok);
  BOOST_TEST(user.value == "sip:user@example.com");
  std::array<char, 4> small{};
  BOOST_TEST(!unescape(u.user, small).ok);
  BOOST_TEST(!unescape("%4", buf).ok);
  BOOST_TEST(!unescape("%zz", buf).ok);
  Uri bad;
  BOOST_TEST(!parseUri("sip:user%G1@example.com", bad));
  BOOST_TEST(!parseUri("sip:user%4@example.com", bad));
  BOOST_TEST(!parseUri("sip:u@example.com;p=%", bad));
  const Uri semi = mustParse("sip:user;par=u%40example.net@example.com");
  BOOST_TEST(semi.user == "user;par=u%40example.net");
  BOOST_TEST(semi.host == "example.com");
}

BOOST_AUTO_TEST_CASE(tel_and_other_schemes) {
  const Uri t = mustParse("tel:+1-201-555-0123;phone-context=example.com");
  BOOST_TEST((t.scheme == UriScheme::Tel));
  BOOST_TEST(t.user == "+1-201-555-0123");
  BOOST_TEST(t.paramList().find("phone-context").value() == "example.com");
  const Uri o = mustParse("urn:service:sos");
  BOOST_TEST((o.scheme == UriScheme::Other));
  BOOST_TEST(o.schemeText == "urn");
  BOOST_TEST(o.opaque == "service:sos");
  Uri bad;
  BOOST_TEST(!parseUri("tel:", bad));
  BOOST_TEST(!parseUri("urn:", bad));
}

BOOST_AUTO_TEST_CASE(comparison_rfc3261_19_1_4) {
  // Equivalent
  BOOST_TEST(equal("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
  BOOST_TEST(equal("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  BOOST_TEST(equal("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5"));
  BOOST_TEST(equal("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                   "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
  BOOST_TEST(equal("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                   "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
  // Not equivalent
  BOOST_TEST(!equal("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
  BOOST_TEST(!equal("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
  BOOST_TEST(!equal("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  BOOST_TEST(!equal("sip:bob@biloxi.com", "sips:bob@biloxi.com"));
  BOOST_TEST(!equal("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
  BOOST_TEST(!equal("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
  BOOST_TEST(!equal("sip:user%3B@host", "sip:user;@host"));
}

BOOST_AUTO_TEST_CASE(comparison_of_huge_parameter_lists_stays_linear) {
  std::string a = "sip:h";
  for (int i = 0; i < 20000; ++i) a += ";p" + std::to_string(i);
  std::string b = a;
  BOOST_TEST(equal(a, b));
  b += ";transport=tcp";
  BOOST_TEST(!equal(a, b));
}

BOOST_AUTO_TEST_CASE(name_addr_forms) {
  NameAddr n;
  BOOST_REQUIRE(parseNameAddr("\"Bob \\\"B\\\"\" <sip:bob@example.com;lr>;tag=abc;x=\"q;r\"", n));
  BOOST_TEST(n.displayName == "Bob \\\"B\\\"");
  BOOST_TEST(n.uri == "sip:bob@example.com;lr");
  BOOST_TEST(n.tag == "abc");
  BOOST_TEST(n.paramList().find("X").value() == "\"q;r\"");
  BOOST_REQUIRE(parseNameAddr("sip:bob@example.com;tag=t1;expires=60", n));
  BOOST_TEST(n.uri == "sip:bob@example.com");
  BOOST_TEST(n.tag == "t1");
  BOOST_TEST(n.expires().value() == 60u);
  BOOST_REQUIRE(parseNameAddr("Bob Smith <tel:+123>", n));
  BOOST_TEST(n.displayName == "Bob Smith");
  BOOST_REQUIRE(parseNameAddr(" * ", n));
  BOOST_TEST(n.star);
  BOOST_TEST(!parseNameAddr("\"unterminated <sip:a@b>", n));
  BOOST_TEST(!parseNameAddr("<sip:a@b", n));
  BOOST_TEST(!parseNameAddr("<sip:a@b> junk", n));
  BOOST_TEST(!parseNameAddr("<sip:a@b>;=x", n));
  BOOST_TEST(!parseNameAddr("", n));
  BOOST_TEST(!parseNameAddr("<sip:@b>", n));
}

BOOST_AUTO_TEST_CASE(q_values) {
  BOOST_TEST(parseQValue("1").value() == 1000);
  BOOST_TEST(parseQValue("1.000").value() == 1000);
  BOOST_TEST(parseQValue("0.5").value() == 500);
  BOOST_TEST(parseQValue("0.125").value() == 125);
  BOOST_TEST(parseQValue("0").value() == 0);
  BOOST_TEST(!parseQValue("1.5"));
  BOOST_TEST(!parseQValue("0.1234"));
  BOOST_TEST(!parseQValue("2"));
  BOOST_TEST(!parseQValue(""));
  BOOST_TEST(!parseQValue("0,5"));
}

BOOST_AUTO_TEST_CASE(via_values) {
  Via v;
  BOOST_REQUIRE(parseVia(
      "SIP / 2.0 / TCP [2001:db8::9:1] : 5062 ; branch = z9hG4bKx ; received=2001:db8::9:255 ;"
      "rport=5070;maddr=239.1.1.1;ttl=16",
      v));
  BOOST_TEST(v.protocolName == "SIP");
  BOOST_TEST(v.transport == "TCP");
  BOOST_TEST(v.host == "[2001:db8::9:1]");
  BOOST_TEST(v.port == 5062);
  BOOST_TEST(v.branch == "z9hG4bKx");
  BOOST_TEST(v.received == "2001:db8::9:255");
  BOOST_TEST(v.rport == "5070");
  BOOST_TEST(v.rportParam == "rport=5070");
  BOOST_TEST(v.maddr == "239.1.1.1");
  BOOST_TEST(v.ttl == 16);
  BOOST_REQUIRE(parseVia("SIP/2.0/UDP host", v));
  BOOST_TEST(!v.hasPort);
  BOOST_TEST(v.branch.empty());
  BOOST_TEST(!parseVia("SIP/2.0/UDP", v));
  BOOST_TEST(!parseVia("SIP/2.0 host", v));
  BOOST_TEST(!parseVia("SIP/2.0/UDP host:70000", v));
  BOOST_TEST(!parseVia("SIP/2.0/UDP host;ttl=256", v));
  BOOST_TEST(!parseVia("SIP/2.0/UDP host;branch=", v));
  BOOST_TEST(!parseVia("SIP/2.0/UDP host junk", v));
  BOOST_TEST(!parseVia("SIP/2.0/UDP [::1;branch=z9hG4bK", v));
}

BOOST_AUTO_TEST_SUITE_END()
