// ICMP echo to the witness: the checksum (RFC 1071) and a real echo on loopback.
#include <poll.h>

#include <boost/test/unit_test.hpp>

#include "io/icmp_echo.hpp"

using namespace sipha::agent::io;

BOOST_AUTO_TEST_SUITE(icmp_echo)

BOOST_AUTO_TEST_CASE(the_internet_checksum_matches_rfc_1071s_example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement 220d).
  const std::uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  BOOST_TEST(internetChecksum(data, sizeof data) == 0x220d);
  const std::uint8_t odd[] = {0x01};
  BOOST_TEST(internetChecksum(odd, 1) == static_cast<std::uint16_t>(~0x0100));
}

BOOST_AUTO_TEST_CASE(loopback_answers_and_the_reply_is_matched) {
  IcmpEcho echo;
  std::string error;
  BOOST_REQUIRE_MESSAGE(echo.open("127.0.0.1", error), error);  // the tests run as root
  BOOST_REQUIRE(echo.send(9));
  pollfd p{echo.fd(), POLLIN, 0};
  std::optional<std::uint16_t> answered;
  for (int i = 0; i < 50 && !answered; ++i) {
    if (::poll(&p, 1, 100) > 0) answered = echo.readReplies();
  }
  BOOST_REQUIRE(answered);
  BOOST_TEST(*answered == 9);
}

BOOST_AUTO_TEST_CASE(a_bad_witness_is_refused) {
  IcmpEcho echo;
  std::string error;
  BOOST_TEST(!echo.open("gateway", error));
  BOOST_TEST(error.find("not an IP address") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
