#include <boost/test/unit_test.hpp>
#include <random>

#include "registrar/event.hpp"
#include "test_support.hpp"

using namespace sipha::registrar;
using namespace sipha::registrar::test;

namespace {

Event sample() {
  Event e;
  e.seq = 0x0102030405060708ULL;
  e.kind = EventKind::Refreshed;
  e.aor = "1001@sip.example.com";
  e.contactUri = "sip:1001@192.0.2.10:5062;transport=tcp";
  e.callId = "a84b4c76e66710@pc33";
  e.cseq = 314159;
  e.expiresAt = kT0 + 3600;
  e.q = 700;
  e.params = ";+sip.instance=\"<urn:uuid:1>\"";
  e.source = "tcp:192.0.2.10:40000";
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(events)

BOOST_AUTO_TEST_CASE(round_trip) {
  std::vector<std::byte> bytes;
  BOOST_TEST(serializeEvent(sample(), bytes));
  Event removed;
  removed.seq = 9;
  removed.kind = EventKind::Removed;
  removed.aor = "x@y";
  removed.contactUri = "sip:x@z";
  BOOST_TEST(serializeEvent(removed, bytes));

  Event decoded;
  auto result = deserializeEvent(bytes, decoded);
  BOOST_TEST((result.status == DecodeStatus::Ok));
  BOOST_TEST((decoded == sample()));
  result = deserializeEvent(std::span(bytes).subspan(result.consumed), decoded);
  BOOST_TEST((result.status == DecodeStatus::Ok));
  BOOST_TEST((decoded == removed));
  BOOST_TEST(!decoded.q.has_value());
}

BOOST_AUTO_TEST_CASE(partial_and_bad_input) {
  std::vector<std::byte> bytes;
  serializeEvent(sample(), bytes);
  Event decoded;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    BOOST_TEST(
        (deserializeEvent(std::span(bytes).first(n), decoded).status == DecodeStatus::NeedMore));
  }
  auto badVersion = bytes;
  badVersion[4] = std::byte{2};
  BOOST_TEST((deserializeEvent(badVersion, decoded).status == DecodeStatus::BadVersion));
  auto badKind = bytes;
  badKind[5] = std::byte{9};
  BOOST_TEST((deserializeEvent(badKind, decoded).status == DecodeStatus::Malformed));
  auto badLength = bytes;
  badLength[4 + kEventFixedSize] = std::byte{0xFF};  // aor length beyond the record
  BOOST_TEST((deserializeEvent(badLength, decoded).status == DecodeStatus::Malformed));

  Event tooLong = sample();
  tooLong.params.assign(kMaxEventFieldLength + 1, 'x');
  std::vector<std::byte> out;
  BOOST_TEST(!serializeEvent(tooLong, out));
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash) {
  std::mt19937 random(42);
  std::vector<std::byte> bytes;
  serializeEvent(sample(), bytes);
  Event decoded;
  std::size_t ok = 0;
  for (int round = 0; round < 20000; ++round) {
    auto mutated = bytes;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i) {
      mutated[random() % mutated.size()] = static_cast<std::byte>(random() & 0xFF);
    }
    mutated.resize(random() % (mutated.size() + 1));
    if (deserializeEvent(mutated, decoded).status == DecodeStatus::Ok) ++ok;
  }
  BOOST_TEST_MESSAGE("random mutations still decoding: " << ok);
}

// Events of a primary, serialized, decoded and applied in order, give the backup the same state.
BOOST_AUTO_TEST_CASE(replayed_events_reach_the_same_state) {
  RegistrarOptions options;
  options.acceptUnknown = true;
  Registrar primary(options, extensions(), digestOptions());
  Registrar backup(options, extensions(), digestOptions());
  std::vector<std::byte> stream;
  primary.setEventSink([&](const Event& e) { BOOST_TEST(serializeEvent(e, stream)); });

  std::vector<std::string> users, uris;
  for (int i = 0; i < 50; ++i) users.push_back(cat("u", std::to_string(i)));
  for (int i = 0; i < 50; ++i) uris.push_back(cat("sip:c", std::to_string(i), "@192.0.2.1"));
  std::mt19937 random(7);
  for (int i = 0; i < 2000; ++i) {
    auto r = request(users[random() % users.size()], "call", static_cast<std::uint32_t>(i + 1));
    const auto expires = std::uint32_t(random() % 4 == 0 ? 0 : 60 + random() % 3000);
    r.contacts = {contact(uris[random() % 3], expires, std::uint16_t(random() % 1001))};
    if (random() % 50 == 0) {
      r.contacts.clear();
      r.star = true;
      r.expiresHeader = 0;
    }
    primary.handleRegister(r, kT0 + i);
    if (i % 100 == 99) primary.expireUntil(kT0 + i);
  }
  BOOST_TEST(primary.bindingCount() > 0u);

  std::span<const std::byte> rest(stream);
  Event event;
  std::size_t applied = 0;
  while (!rest.empty()) {
    const auto result = deserializeEvent(rest, event);
    BOOST_TEST_REQUIRE((result.status == DecodeStatus::Ok));
    BOOST_TEST((backup.apply(event) == Registrar::ApplyStatus::Applied));
    rest = rest.subspan(result.consumed);
    ++applied;
  }
  BOOST_TEST(applied == primary.sequence());
  BOOST_TEST(backup.sequence() == primary.sequence());
  BOOST_TEST((backup.snapshot() == primary.snapshot()));
  BOOST_TEST((backup.apply(event) == Registrar::ApplyStatus::Stale));  // duplicates ignored

  // A snapshot restored into a third instance is the same state too.
  Registrar third(options, extensions(), digestOptions());
  for (const auto& e : primary.snapshot()) third.restore(e);
  third.setSequence(primary.sequence());
  BOOST_TEST((third.snapshot() == primary.snapshot()));
  BOOST_TEST((third.nextExpiry() == primary.nextExpiry()));
}

BOOST_AUTO_TEST_SUITE_END()
