// Frames of the replication link: every type round-trips, Records frames carry many records and
// refuse counts their bytes cannot hold, and damaged frames are refused without a crash.
#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

#include "replication/frame.hpp"
#include "replication/record.hpp"
#include "replication/wire.hpp"
#include "samples.hpp"

namespace sipha::replication::test {
namespace {

struct Frames {
  // Owns the records the frames' views point into.
  std::vector<std::string> records;
  std::vector<Frame> frames;

  Frames() {
    for (const Record& record : allRecords()) records.push_back(encoded(record));
    Frame hello{.type = FrameType::Hello,
                .epoch = 4,
                .nodeId = "sipha-b",
                .streamId = 77,
                .sequence = 1234};
    Frame helloFresh{
        .type = FrameType::Hello, .epoch = 1, .nodeId = "", .streamId = 0, .sequence = 0};
    Frame refuse{.type = FrameType::Refuse, .epoch = 5};
    refuse.reason = RefuseReason::StaleEpoch;
    refuse.text = "epoch 5 < 6";
    Frame begin{.type = FrameType::SnapshotBegin, .epoch = 6, .streamId = 77, .sequence = 900};
    Frame item{.type = FrameType::SnapshotItem, .epoch = 6};
    item.records = {records[7]};  // a trunk
    Frame end{.type = FrameType::SnapshotEnd, .epoch = 6, .sequence = 900};
    Frame batch{.type = FrameType::Records, .epoch = 6, .sequence = 901};
    batch.records = {records[0], records[4]};  // a binding and a call leg
    Frame ack{.type = FrameType::Ack, .epoch = 6, .sequence = 902};
    Frame keepalive{.type = FrameType::Keepalive, .epoch = 6, .sequence = 902};
    keepalive.sentAtUsec = 1'767'225'600'000'000ULL;
    Frame backupKeepalive{.type = FrameType::Keepalive, .epoch = 6, .sequence = 902};
    frames = {hello, helloFresh, refuse, begin, item, end, batch, ack, keepalive, backupKeepalive};
  }
};

std::string encode(const Frame& frame) {
  std::string out;
  encodeFrame(frame, out);
  return out;
}

FrameError decode(std::string_view bytes) {
  Frame frame;
  return decodeFrame(bytes, frame);
}

std::string recordsFrame(std::uint64_t firstSeq, const std::vector<std::string>& records) {
  std::string out;
  const std::size_t begin = beginRecords(6, firstSeq, out);
  for (const std::string& record : records) appendRecordTo(out, record);
  finishRecords(out, begin, static_cast<std::uint32_t>(records.size()));
  return out;
}

// A Records frame header with any count and sequence, followed by `tail`.
std::string rawRecords(std::uint64_t firstSeq, std::uint32_t count, std::string_view tail) {
  std::string out;
  WireWriter w(out);
  w.u8(kFrameVersion);
  w.u8(static_cast<std::uint8_t>(FrameType::Records));
  w.u64(6);
  w.u64(firstSeq);
  w.u8(1);  // ack requested
  w.u32(count);
  out.append(tail);
  return out;
}

std::string lengthPrefixed(std::string_view record) {
  std::string out;
  WireWriter(out).u32(static_cast<std::uint32_t>(record.size()));
  out.append(record);
  return out;
}

BOOST_AUTO_TEST_SUITE(frame)

BOOST_FIXTURE_TEST_CASE(every_type_round_trips, Frames) {
  for (const Frame& frame : frames) {
    BOOST_TEST_CONTEXT("type " << static_cast<int>(frame.type)) {
      const std::string bytes = encode(frame);
      BOOST_TEST(bytes[0] == static_cast<char>(kFrameVersion));
      BOOST_TEST(bytes[1] == static_cast<char>(frame.type));
      Frame back;
      BOOST_TEST_REQUIRE(decodeFrame(bytes, back) == FrameError::None);
      BOOST_TEST((back == frame));
      BOOST_TEST(encode(back) == bytes);
      // The records are views into the frame's bytes, and decode to what was sent.
      for (std::string_view view : back.records) {
        BOOST_TEST((view.data() >= bytes.data() && view.data() < bytes.data() + bytes.size()));
        Record record;
        BOOST_TEST(decodeRecord(view, record) == RecordError::None);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(records_say_whether_an_ack_is_wanted_now) {
  for (bool wanted : {true, false}) {
    std::string out;
    const std::size_t begin = beginRecords(3, 4, out, wanted);
    appendRecordTo(out, "r");
    finishRecords(out, begin, 1);
    Frame frame;
    BOOST_REQUIRE(decodeFrame(out, frame) == FrameError::None);
    BOOST_TEST(frame.ackRequested == wanted);
    BOOST_TEST(encode(frame) == out);
  }
  std::string flags = rawRecords(1, 1, lengthPrefixed("x"));
  flags[18] = 2;  // an unknown flag
  BOOST_TEST(decode(flags) == FrameError::Malformed);
}

BOOST_AUTO_TEST_CASE(layout_is_the_documented_one) {
  const std::string ack = encode(Frame{.type = FrameType::Ack, .epoch = 2, .sequence = 3});
  BOOST_TEST(ack == std::string("\x01\x07"
                                "\x02\x00\x00\x00\x00\x00\x00\x00"
                                "\x03\x00\x00\x00\x00\x00\x00\x00",
                                18));
  const std::string records = recordsFrame(9, {"ab", "c"});
  BOOST_TEST(records == std::string("\x01\x06"
                                    "\x06\x00\x00\x00\x00\x00\x00\x00"
                                    "\x09\x00\x00\x00\x00\x00\x00\x00"
                                    "\x01"  // ack requested
                                    "\x02\x00\x00\x00"
                                    "\x02\x00\x00\x00"
                                    "ab"
                                    "\x01\x00\x00\x00"
                                    "c",
                                    34));
}

BOOST_AUTO_TEST_CASE(the_hot_path_encoder_equals_encode_frame) {
  Frames f;
  const Frame& batch = f.frames[6];
  BOOST_REQUIRE(batch.type == FrameType::Records);
  std::string out = "prefix";
  const std::size_t begin = beginRecords(batch.epoch, batch.sequence, out);
  BOOST_TEST(begin == 6u);
  for (std::string_view record : batch.records) appendRecordTo(out, record);
  finishRecords(out, begin, static_cast<std::uint32_t>(batch.records.size()));
  BOOST_TEST(out.substr(6) == encode(batch));
}

BOOST_AUTO_TEST_CASE(a_records_frame_with_many_records_round_trips) {
  std::vector<std::string> records;
  for (std::uint64_t i = 0; i < 5000; ++i) {
    registrar::Event e = bindingAdded();
    e.seq = 100 + i;
    e.aor = "u" + std::to_string(i) + "@example.com";
    if (i % 3 == 0) e.q.reset();
    if (i % 7 == 0) {
      CallLegRecord leg = callLeg();
      leg.event.sequence = i;
      records.push_back(encoded(leg));
    } else {
      records.push_back(encoded(e));
    }
  }
  const std::string bytes = recordsFrame(100, records);
  Frame frame;
  BOOST_TEST_REQUIRE(decodeFrame(bytes, frame) == FrameError::None);
  BOOST_TEST(frame.sequence == 100u);
  BOOST_TEST_REQUIRE(frame.records.size() == records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    BOOST_TEST_REQUIRE(frame.records[i] == records[i]);
    Record record;
    BOOST_TEST_REQUIRE(decodeRecord(frame.records[i], record) == RecordError::None);
  }
  // The same Frame decodes another frame from scratch (no records or fields left over).
  BOOST_TEST_REQUIRE(decodeFrame(encode(Frame{.type = FrameType::Ack, .sequence = 1}), frame) ==
                     FrameError::None);
  BOOST_TEST((frame == Frame{.type = FrameType::Ack, .sequence = 1}));
}

BOOST_AUTO_TEST_CASE(a_count_beyond_the_bytes_is_malformed) {
  const std::string one = lengthPrefixed(encoded(secret()));
  BOOST_TEST(decode(rawRecords(1, 1, one)) == FrameError::None);
  BOOST_TEST(decode(rawRecords(1, 2, one)) == FrameError::Malformed);
  BOOST_TEST(decode(rawRecords(1, 0xFFFFFFFFu, one)) == FrameError::Malformed);
  BOOST_TEST(decode(rawRecords(1, 0xFFFFFFFFu, "")) == FrameError::Malformed);
  // Counts the bytes could hold only if records were shorter than five bytes.
  BOOST_TEST(decode(rawRecords(1, 3, std::string(12, '\0'))) == FrameError::Malformed);
  BOOST_TEST(decode(rawRecords(1, 1000, std::string(4999, '\x01'))) == FrameError::Malformed);
  BOOST_TEST(decode(rawRecords(1, 0, "")) == FrameError::Malformed);         // one or more
  BOOST_TEST(decode(rawRecords(1, 1, one + one)) == FrameError::Malformed);  // trailing record
}

BOOST_AUTO_TEST_CASE(records_frame_rules) {
  const std::string one = lengthPrefixed(encoded(secret()));
  BOOST_TEST(decode(rawRecords(0, 1, one)) == FrameError::Malformed);  // sequences start at 1
  BOOST_TEST(decode(rawRecords(UINT64_MAX, 1, one)) == FrameError::None);
  BOOST_TEST(decode(rawRecords(UINT64_MAX, 2, one + one)) == FrameError::Malformed);  // wraps
  BOOST_TEST(decode(rawRecords(1, 1, lengthPrefixed(""))) == FrameError::Malformed);  // empty
  std::string huge(kMaxRecordBytes + 1, 'r');
  BOOST_TEST(decode(rawRecords(1, 1, lengthPrefixed(huge))) == FrameError::Malformed);
  huge.pop_back();
  BOOST_TEST(decode(rawRecords(1, 1, lengthPrefixed(huge))) == FrameError::None);
  // The frame layer does not decode the records themselves.
  BOOST_TEST(decode(rawRecords(1, 1, lengthPrefixed("?"))) == FrameError::None);

  std::string item;
  WireWriter w(item);
  w.u8(kFrameVersion);
  w.u8(static_cast<std::uint8_t>(FrameType::SnapshotItem));
  w.u64(1);
  BOOST_TEST(decode(item) == FrameError::Malformed);  // no record
  BOOST_TEST(decode(item + lengthPrefixed("")) == FrameError::Malformed);
  BOOST_TEST(decode(item + lengthPrefixed("x")) == FrameError::None);
  BOOST_TEST(decode(item + lengthPrefixed("x") + lengthPrefixed("y")) == FrameError::Malformed);
}

BOOST_FIXTURE_TEST_CASE(every_prefix_is_refused, Frames) {
  for (const Frame& frame : frames) {
    const std::string bytes = encode(frame);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      BOOST_TEST_CONTEXT("type " << static_cast<int>(frame.type) << " prefix " << n) {
        BOOST_TEST(decode(std::string_view(bytes).substr(0, n)) == FrameError::Malformed);
      }
    }
  }
}

BOOST_FIXTURE_TEST_CASE(wrong_version_unknown_type_and_trailing_bytes, Frames) {
  for (const Frame& frame : frames) {
    BOOST_TEST_CONTEXT("type " << static_cast<int>(frame.type)) {
      const std::string bytes = encode(frame);
      std::string version = bytes;
      version[0] = static_cast<char>(kFrameVersion + 1);
      BOOST_TEST(decode(version) == FrameError::BadVersion);
      BOOST_TEST(decode(version.substr(0, 1)) == FrameError::BadVersion);
      std::string type = bytes;
      for (int unknown : {0, 9, 0xFF}) {
        type[1] = static_cast<char>(unknown);
        BOOST_TEST(decode(type) == FrameError::UnknownType);
      }
      BOOST_TEST(decode(bytes + '\0') == FrameError::Malformed);
    }
  }
}

BOOST_AUTO_TEST_CASE(refuse_reasons_and_names) {
  for (int reason = 0; reason < 256; ++reason) {
    std::string bytes;
    WireWriter w(bytes);
    w.u8(kFrameVersion);
    w.u8(static_cast<std::uint8_t>(FrameType::Refuse));
    w.u64(1);
    w.u8(static_cast<std::uint8_t>(reason));
    w.string("why");
    BOOST_TEST(
        (decode(bytes) == (reason >= 1 && reason <= 3 ? FrameError::None : FrameError::Malformed)),
        "reason " << reason);
  }
  BOOST_TEST(refuseReasonName(RefuseReason::StaleEpoch) == "stale-epoch");
  BOOST_TEST(refuseReasonName(RefuseReason::NotPrimary) == "not-primary");
  BOOST_TEST(refuseReasonName(RefuseReason::Protocol) == "protocol");
  BOOST_TEST(frameErrorName(FrameError::None) == "none");
  BOOST_TEST(frameErrorName(FrameError::BadVersion) == "bad-version");
  BOOST_TEST(frameErrorName(FrameError::UnknownType) == "unknown-type");
  BOOST_TEST(frameErrorName(FrameError::Malformed) == "malformed");

  // A refusal text over the field limit is cut, not lost.
  Frame refuse{.type = FrameType::Refuse, .epoch = 1};
  refuse.text.assign(kMaxFieldBytes + 10, 't');
  Frame back;
  BOOST_TEST_REQUIRE(decodeFrame(encode(refuse), back) == FrameError::None);
  BOOST_TEST(back.text.size() == kMaxFieldBytes);
}

BOOST_FIXTURE_TEST_CASE(random_mutations_never_crash, Frames) {
  std::mt19937 random(20260302);
  std::size_t frameOk = 0;
  std::size_t recordOk = 0;
  std::size_t rounds = 0;
  for (const Frame& original : frames) {
    const std::string bytes = encode(original);
    for (int round = 0; round < 3000; ++round, ++rounds) {
      const std::string mutated = mutate(bytes, random);
      Frame frame;
      if (decodeFrame(mutated, frame) != FrameError::None) continue;
      ++frameOk;
      BOOST_TEST_REQUIRE(encode(frame) == mutated);
      for (std::string_view view : frame.records) {
        Record record;
        if (decodeRecord(view, record) != RecordError::None) continue;
        ++recordOk;
        std::string again;
        BOOST_TEST_REQUIRE(encodeRecord(record, again));
        BOOST_TEST_REQUIRE(again == view);
      }
    }
  }
  BOOST_TEST_MESSAGE("mutated frames still decoding: " << frameOk << " of " << rounds
                                                       << ", their records: " << recordOk);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::replication::test
