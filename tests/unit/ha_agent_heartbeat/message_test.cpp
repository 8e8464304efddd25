// The heartbeat body: its fixed layout, the round trip, and every way a body is refused.
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "heartbeat/message.hpp"

namespace hb = sipha::agent::heartbeat;
using hb::DecodeError;
using hb::Heartbeat;
using hb::test::Bytes;

namespace {

DecodeError decode(const Bytes& body, Heartbeat& out) { return hb::decodeBody(body, out); }

DecodeError decode(const Bytes& body) {
  Heartbeat out;
  return hb::decodeBody(body, out);
}

Bytes withByte(Bytes body, std::size_t offset, std::uint8_t value) {
  body.at(offset) = value;
  return body;
}

Bytes withU64(Bytes body, std::size_t offset, std::uint64_t value) {
  for (std::size_t i = 0; i < 8; ++i)
    body.at(offset + i) = static_cast<std::uint8_t>(value >> 8 * i);
  return body;
}

void checkRoundTrip(const Heartbeat& h) {
  const Bytes body = hb::test::encode(h);
  BOOST_TEST(body.size() == hb::bodySize(h.state.nodeId.size()));
  Heartbeat back;
  BOOST_TEST(decode(body, back) == DecodeError::None);
  BOOST_TEST((back == h));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(message)

BOOST_AUTO_TEST_CASE(layout_is_the_documented_one) {
  // docs/heartbeat.md's table, byte for byte (the golden datagram was built by Python).
  const Bytes golden = hb::test::goldenDatagram();
  const Bytes body = hb::test::encode(hb::test::sampleHeartbeat());
  BOOST_TEST(body == Bytes(golden.begin(), golden.end() - hb::kTagBytes));
  BOOST_TEST(hb::kMinBodyBytes == 42u);
  BOOST_TEST(hb::kMaxBodyBytes == 105u);
}

BOOST_AUTO_TEST_CASE(round_trip) {
  checkRoundTrip(hb::test::sampleHeartbeat());

  Heartbeat h = hb::test::sampleHeartbeat();
  h.path = sipha::agent::Path::HaLink;
  h.state.role = sipha::agent::Role::Backup;
  h.state.failing = false;
  h.state.witnessOk = false;
  checkRoundTrip(h);
  // Each flag alone.
  for (int f = 0; f < 5; ++f) {
    h.state.failing = f == 0;
    h.state.ready = f == 1;
    h.state.witnessOk = f == 2;
    h.state.handingOver = f == 3;
    h.state.monitored = f == 4;
    checkRoundTrip(h);
  }
  // The extremes of every number, the shortest and longest node ids.
  h.bootId = ~std::uint64_t{0};
  h.sequence = hb::kMaxSequence;
  h.state.epoch = ~std::uint64_t{0};
  h.sendTimeUs = ~std::uint64_t{0};
  h.state.nodeId = std::string(hb::kMaxNodeIdBytes, '~');
  checkRoundTrip(h);
  h.bootId = 1;
  h.sequence = 1;
  h.state.epoch = 0;
  h.sendTimeUs = 0;
  h.state.nodeId = "!";
  checkRoundTrip(h);
}

BOOST_AUTO_TEST_CASE(encode_refuses_what_cannot_be_sent) {
  hb::BodyBuffer out;
  const auto refused = [&](const Heartbeat& h) { return hb::encodeBody(h, out) == 0; };
  Heartbeat h = hb::test::sampleHeartbeat();
  for (const std::string& id : {std::string{}, std::string(hb::kMaxNodeIdBytes + 1, 'a'),
                                std::string{"node a"}, std::string{"node\n"}, std::string{"n\x7f"},
                                std::string{"n\xc3\xa9"}, std::string("n\0", 2)}) {
    h.state.nodeId = id;
    BOOST_TEST(refused(h), "node id '" << id << "'");
    BOOST_TEST(!hb::validNodeId(id));
  }
  h = hb::test::sampleHeartbeat();
  h.bootId = 0;
  BOOST_TEST(refused(h));
  h = hb::test::sampleHeartbeat();
  h.sequence = 0;
  BOOST_TEST(refused(h));
  h.sequence = hb::kMaxSequence + 1;
  BOOST_TEST(refused(h));
  BOOST_TEST(hb::validNodeId("sipha-1.example"));
}

BOOST_AUTO_TEST_CASE(every_malformed_field_is_refused) {
  const Bytes good = hb::test::encode(hb::test::sampleHeartbeat());  // node id "node-a"
  BOOST_TEST(decode(good) == DecodeError::None);

  for (std::size_t i = 0; i < 4; ++i) {
    BOOST_TEST(decode(withByte(good, i, good[i] ^ 0x20)) == DecodeError::BadMagic);
  }
  for (std::uint8_t v : {0, 2, 255})
    BOOST_TEST(decode(withByte(good, 4, v)) == DecodeError::BadVersion);
  for (std::uint8_t v : {2, 3, 255})
    BOOST_TEST(decode(withByte(good, 5, v)) == DecodeError::BadPath);
  for (std::uint8_t v : {2, 3, 255})
    BOOST_TEST(decode(withByte(good, 6, v)) == DecodeError::BadRole);
  for (std::uint8_t bit = 0x20; bit != 0; bit = static_cast<std::uint8_t>(bit << 1)) {
    BOOST_TEST(decode(withByte(good, 7, bit)) == DecodeError::BadFlags);
  }
  BOOST_TEST(decode(withU64(good, 8, 0)) == DecodeError::BadBootId);
  BOOST_TEST(decode(withU64(good, 16, 0)) == DecodeError::BadSequence);
  BOOST_TEST(decode(withU64(good, 16, hb::kMaxSequence + 1)) == DecodeError::BadSequence);
  BOOST_TEST(decode(withU64(good, 16, ~std::uint64_t{0})) == DecodeError::BadSequence);
  // The node id: its length byte, then its bytes.
  BOOST_TEST(decode(withByte(good, 40, 0)) == DecodeError::BadNodeId);
  BOOST_TEST(decode(withByte(good, 40, hb::kMaxNodeIdBytes + 1)) == DecodeError::BadNodeId);
  BOOST_TEST(decode(withByte(good, 40, 255)) == DecodeError::BadNodeId);
  BOOST_TEST(decode(withByte(good, 40, 7)) == DecodeError::TooShort);
  BOOST_TEST(decode(withByte(good, 40, 5)) == DecodeError::LengthMismatch);
  for (std::uint8_t v : {0x00, 0x0a, 0x20, 0x7f, 0x80, 0xff}) {
    BOOST_TEST(decode(withByte(good, 41, v)) == DecodeError::BadNodeId);
    BOOST_TEST(decode(withByte(good, good.size() - 1, v)) == DecodeError::BadNodeId);
  }
  // Sizes: a byte too many, the largest plus one, nothing, under the fixed part.
  Bytes longer = good;
  longer.push_back('x');
  BOOST_TEST(decode(longer) == DecodeError::LengthMismatch);
  Bytes largest = hb::test::encode([] {
    Heartbeat h = hb::test::sampleHeartbeat();
    h.state.nodeId = std::string(hb::kMaxNodeIdBytes, 'n');
    return h;
  }());
  BOOST_TEST(decode(largest) == DecodeError::None);
  largest.push_back('n');
  BOOST_TEST(decode(largest) == DecodeError::TooLong);
  BOOST_TEST(decode(Bytes{}) == DecodeError::TooShort);
  BOOST_TEST(decode(Bytes(hb::kFixedBytes, 0)) == DecodeError::TooShort);
  BOOST_TEST(decode(Bytes(hb::kMaxBodyBytes + 1000, 0)) == DecodeError::TooLong);
}

BOOST_AUTO_TEST_CASE(every_prefix_is_refused) {
  for (const std::size_t idBytes : {std::size_t{1}, std::size_t{6}, hb::kMaxNodeIdBytes}) {
    Heartbeat h = hb::test::sampleHeartbeat();
    h.state.nodeId = std::string(idBytes, 'p');
    const Bytes body = hb::test::encode(h);
    for (std::size_t n = 0; n < body.size(); ++n) {
      const Bytes prefix(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n));
      Heartbeat out = hb::test::sampleHeartbeat();
      const DecodeError error = decode(prefix, out);
      BOOST_TEST(error == DecodeError::TooShort,
                 "prefix of " << n << " bytes: " << hb::decodeErrorName(error));
      BOOST_TEST((out == hb::test::sampleHeartbeat()));  // untouched on refusal
    }
  }
}

BOOST_AUTO_TEST_CASE(every_byte_value_at_every_offset_decodes_canonically_or_is_refused) {
  // 105 offsets x 256 values: whatever decodes encodes back to the same bytes (one encoding per
  // value, so nothing about a heartbeat can be changed without changing its bytes, and its tag).
  Heartbeat h = hb::test::sampleHeartbeat();
  h.state.nodeId = std::string(hb::kMaxNodeIdBytes, 'q');
  const Bytes good = hb::test::encode(h);
  std::size_t decoded = 0;
  for (std::size_t offset = 0; offset < good.size(); ++offset) {
    for (int value = 0; value < 256; ++value) {
      const Bytes body = withByte(good, offset, static_cast<std::uint8_t>(value));
      Heartbeat out;
      if (decode(body, out) != DecodeError::None) continue;
      ++decoded;
      BOOST_TEST_REQUIRE((hb::test::encode(out) == body),
                         "offset " << offset << " value " << value);
    }
  }
  BOOST_TEST(decoded > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
