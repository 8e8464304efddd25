// Registrar events replayed on another instance. Their encoding (the state stream's Binding
// record) is tested in tests/unit/replication/record_test.cpp; here the stream goes through it.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <random>
#include <variant>

#include "registrar/event.hpp"
#include "replication/frame.hpp"
#include "replication/record.hpp"
#include "test_support.hpp"

using namespace sipha::registrar;
using namespace sipha::registrar::test;

BOOST_AUTO_TEST_SUITE(events)

// Events of a primary, encoded as state stream records in Records frames, decoded and applied in
// order, give the backup the same state.
BOOST_AUTO_TEST_CASE(replayed_events_reach_the_same_state) {
  RegistrarOptions options;
  options.acceptUnknown = true;
  Registrar primary(options, extensions(), digestOptions());
  Registrar backup(options, extensions(), digestOptions());
  std::vector<std::string> records;
  primary.setEventSink([&](const Event& e) {
    std::string record;
    BOOST_TEST(sipha::replication::encodeRecord(e, record));
    records.push_back(std::move(record));
  });

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

  // The stream in frames of up to 64 records, as the primary sends it.
  std::vector<std::string> frames;
  for (std::size_t at = 0; at < records.size(); at += 64) {
    std::string& frame = frames.emplace_back();
    const std::size_t begin = sipha::replication::beginRecords(1, at + 1, frame);
    const std::size_t end = std::min(records.size(), at + 64);
    for (std::size_t i = at; i < end; ++i) sipha::replication::appendRecordTo(frame, records[i]);
    sipha::replication::finishRecords(frame, begin, static_cast<std::uint32_t>(end - at));
  }

  Event event;
  std::size_t applied = 0;
  sipha::replication::Frame frame;
  for (const std::string& bytes : frames) {
    BOOST_TEST_REQUIRE(
        (sipha::replication::decodeFrame(bytes, frame) == sipha::replication::FrameError::None));
    BOOST_TEST(frame.sequence == applied + 1);
    for (std::string_view view : frame.records) {
      sipha::replication::Record record;
      BOOST_TEST_REQUIRE((sipha::replication::decodeRecord(view, record) ==
                          sipha::replication::RecordError::None));
      BOOST_TEST_REQUIRE(std::holds_alternative<Event>(record));
      event = std::get<Event>(record);
      BOOST_TEST((backup.apply(event) == Registrar::ApplyStatus::Applied));
      ++applied;
    }
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
