// HMAC-SHA256 under the pair key: the known answer, and every change to message or tag refused.
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <optional>
#include <span>

#include "fixtures.hpp"
#include "heartbeat/authenticator.hpp"

namespace hb = sipha::agent::heartbeat;
using hb::test::Bytes;

namespace {

std::span<const std::uint8_t> bodyOf(const Bytes& datagram) {
  return std::span<const std::uint8_t>(datagram).first(datagram.size() - hb::kTagBytes);
}
std::span<const std::uint8_t> tagOf(const Bytes& datagram) {
  return std::span<const std::uint8_t>(datagram).last(hb::kTagBytes);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(authenticator)

BOOST_AUTO_TEST_CASE(known_answer) {
  // The golden datagram's tag was computed by Python's hmac module.
  hb::Authenticator auth(hb::test::testKey());
  BOOST_TEST_REQUIRE(auth.ok());
  const Bytes golden = hb::test::goldenDatagram();
  hb::Tag tag;
  // Twice: the context is reused, the key must still be the one given.
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST_REQUIRE(auth.sign(bodyOf(golden), tag));
    BOOST_TEST(
        (Bytes(tag.begin(), tag.end()) == Bytes(tagOf(golden).begin(), tagOf(golden).end())));
  }
  BOOST_TEST(auth.verify(bodyOf(golden), tagOf(golden)));
}

BOOST_AUTO_TEST_CASE(the_key_outlives_its_pair_key) {
  std::optional<hb::Authenticator> auth;
  {
    const hb::PairKey key = hb::test::testKey();
    auth.emplace(key);
  }  // wiped here
  const Bytes golden = hb::test::goldenDatagram();
  BOOST_TEST(auth->verify(bodyOf(golden), tagOf(golden)));
  hb::Authenticator moved = std::move(*auth);
  BOOST_TEST(moved.verify(bodyOf(golden), tagOf(golden)));
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_anywhere_is_refused) {
  hb::Authenticator auth(hb::test::testKey());
  const Bytes golden = hb::test::goldenDatagram();
  for (std::size_t bit = 0; bit < golden.size() * 8; ++bit) {
    Bytes damaged = golden;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    BOOST_TEST(!auth.verify(bodyOf(damaged), tagOf(damaged)), "bit " << bit);
  }
}

BOOST_AUTO_TEST_CASE(wrong_key_and_wrong_tag_sizes_are_refused) {
  const Bytes golden = hb::test::goldenDatagram();
  hb::Authenticator other(hb::test::otherKey());
  BOOST_TEST(!other.verify(bodyOf(golden), tagOf(golden)));

  hb::Authenticator auth(hb::test::testKey());
  const std::span<const std::uint8_t> tag = tagOf(golden);
  BOOST_TEST(!auth.verify(bodyOf(golden), tag.first(16)));  // a truncated tag is not accepted
  BOOST_TEST(!auth.verify(bodyOf(golden), tag.first(0)));
  BOOST_TEST(!auth.verify(bodyOf(golden), std::span<const std::uint8_t>(golden).last(33)));
}

BOOST_AUTO_TEST_SUITE_END()
