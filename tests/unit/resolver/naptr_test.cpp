// RFC 3263 4.1: the NAPTR records sipd uses, their order, and the SRV names without them.
#include <boost/test/unit_test.hpp>

#include "resolver/naptr_select.hpp"

namespace sipha::resolver {
namespace {

NaptrRecord naptr(std::uint16_t order, std::uint16_t preference, std::string flags,
                  std::string service, std::string replacement, std::string regexp = {}) {
  NaptrRecord r;
  r.order = order;
  r.preference = preference;
  r.flags = std::move(flags);
  r.service = std::move(service);
  r.replacement = std::move(replacement);
  r.regexp = std::move(regexp);
  return r;
}

using transport::TransportKind;

}  // namespace

BOOST_AUTO_TEST_SUITE(naptr_select)

BOOST_AUTO_TEST_CASE(usable_records_in_order_then_preference) {
  const auto choices =
      selectNaptr({naptr(20, 10, "s", "SIP+D2U", "_sip._udp.x.com"),
                   naptr(10, 20, "S", "sip+d2t", "_sip._tcp.x.com"),
                   naptr(10, 10, "s", "SIPS+D2T", "_sips._tcp.x.com"),
                   naptr(5, 10, "s", "SIP+D2S", "_sip._sctp.x.com"),          // SCTP: not supported
                   naptr(5, 10, "u", "E2U+sip", "", "!^.*$!sip:a@x.com!"),    // ENUM-style: not SIP
                   naptr(5, 10, "s", "SIP+D2U", "_sip._udp.y.com", "!x!y!"),  // regexp: not for SIP
                   naptr(5, 10, "a", "SIP+D2U", "gw.x.com")},                 // A flag: not handled
                  false);
  BOOST_REQUIRE_EQUAL(choices.size(), 3u);
  BOOST_TEST(static_cast<int>(choices[0].kind) == static_cast<int>(TransportKind::Tls));
  BOOST_TEST(choices[0].name == "_sips._tcp.x.com");
  BOOST_TEST(static_cast<int>(choices[1].kind) == static_cast<int>(TransportKind::Tcp));
  BOOST_TEST(static_cast<int>(choices[2].kind) == static_cast<int>(TransportKind::Udp));
}

BOOST_AUTO_TEST_CASE(sips_keeps_only_sips_over_tcp) {
  const auto choices = selectNaptr({naptr(10, 10, "s", "SIP+D2U", "_sip._udp.x.com"),
                                    naptr(20, 10, "s", "SIPS+D2T", "_sips._tcp.x.com")},
                                   true);
  BOOST_REQUIRE_EQUAL(choices.size(), 1u);
  BOOST_TEST(choices[0].name == "_sips._tcp.x.com");
}

BOOST_AUTO_TEST_CASE(duplicates_dropped_and_count_bounded) {
  std::vector<NaptrRecord> many;
  for (int i = 0; i < 40; ++i) {
    many.push_back(naptr(10, 10, "s", "SIP+D2U", "_sip._udp.x.com"));
    many.push_back(naptr(10, 10, "s", "SIP+D2T", "t" + std::to_string(i) + ".x.com"));
  }
  const auto choices = selectNaptr(many, false);
  BOOST_TEST(choices.size() == kMaxNaptrChoices);
  BOOST_TEST(choices[0].name == "_sip._udp.x.com");
  BOOST_TEST(choices[1].name == "t0.x.com");
  BOOST_TEST(choices[2].name == "t1.x.com");
}

BOOST_AUTO_TEST_CASE(srv_names_without_naptr) {
  const auto all = srvFallbackChoices("x.com", false);
  BOOST_REQUIRE_EQUAL(all.size(), 3u);
  BOOST_TEST(all[0].name == "_sip._udp.x.com");
  BOOST_TEST(all[1].name == "_sip._tcp.x.com");
  BOOST_TEST(all[2].name == "_sips._tcp.x.com");
  BOOST_TEST(static_cast<int>(all[2].kind) == static_cast<int>(TransportKind::Tls));
  const auto secure = srvFallbackChoices("x.com", true);
  BOOST_REQUIRE_EQUAL(secure.size(), 1u);
  BOOST_TEST(secure[0].name == "_sips._tcp.x.com");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::resolver
