// Records of the state stream: every kind round-trips, the layout is the documented one, and
// anything damaged, unknown or over a limit is refused without a crash.
#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <variant>

#include "replication/record.hpp"
#include "replication/wire.hpp"
#include "samples.hpp"

namespace sipha::replication::test {
namespace {

// A Binding record written field by field (the layout of record.cpp), with raw values so a test
// can put anything in a field.
struct RawBinding {
  std::uint8_t version = kRecordVersion;
  std::uint8_t kind = 1;
  std::uint8_t hasQ = 1;
  std::uint16_t q = 500;
  std::string aor = "a@b";
};

std::string rawBinding(const RawBinding& raw) {
  std::string out;
  WireWriter w(out);
  w.u8(raw.version);
  w.u8(static_cast<std::uint8_t>(RecordKind::Binding));
  w.u64(5);
  w.u8(raw.kind);
  w.string(raw.aor);
  w.string("sip:a@c");
  w.string("cid");
  w.u32(2);
  w.i64(1000);
  w.u8(raw.hasQ);
  if (raw.hasQ != 0) w.u16(raw.q);
  w.string(";p");
  w.string("udp:192.0.2.1:5060");
  return out;
}

registrar::Event rawBindingEvent() {
  registrar::Event e;
  e.seq = 5;
  e.kind = registrar::EventKind::Added;
  e.aor = "a@b";
  e.contactUri = "sip:a@c";
  e.callId = "cid";
  e.cseq = 2;
  e.expiresAt = 1000;
  e.q = 500;
  e.params = ";p";
  e.source = "udp:192.0.2.1:5060";
  return e;
}

struct RawCallLeg {
  std::uint8_t kind = 1;
  std::uint8_t leg = 1;
  std::uint8_t state = 2;
  std::uint16_t routes = 1;
  std::uint8_t hasLocalCseq = 1;
  std::uint8_t hasRemoteCseq = 0;
  std::uint8_t secure = 0;
};

std::string rawCallLeg(const RawCallLeg& raw) {
  std::string out;
  WireWriter w(out);
  w.u8(kRecordVersion);
  w.u8(static_cast<std::uint8_t>(RecordKind::CallLeg));
  w.u64(3);
  w.u8(raw.kind);
  w.string("key");
  w.u8(raw.leg);
  w.u8(raw.state);
  for (const char* field : {"cid", "lt", "rt", "<sip:a@x>", "<sip:b@x>", "sip:b@192.0.2.2"}) {
    w.string(field);
  }
  w.u16(raw.routes);
  for (std::uint16_t i = 0; i < raw.routes; ++i) w.string("<sip:p;lr>");
  w.u8(raw.hasLocalCseq);
  if (raw.hasLocalCseq != 0) w.u32(4);
  w.u8(raw.hasRemoteCseq);
  if (raw.hasRemoteCseq != 0) w.u32(6);
  w.u8(raw.secure);
  w.string("UDP");
  w.string("");
  w.string("");
  w.string("");
  return out;
}

RecordError decode(std::string_view bytes) {
  Record record;
  return decodeRecord(bytes, record);
}

BOOST_AUTO_TEST_SUITE(record)

BOOST_AUTO_TEST_CASE(every_kind_round_trips) {
  for (const Record& record : allRecords()) {
    BOOST_TEST_CONTEXT("kind " << kindName(kindOf(record))) {
      const std::string bytes = encoded(record);
      BOOST_TEST(bytes[0] == static_cast<char>(kRecordVersion));
      BOOST_TEST(bytes[1] == static_cast<char>(kindOf(record)));
      Record back;
      BOOST_TEST_REQUIRE(decodeRecord(bytes, back) == RecordError::None);
      BOOST_TEST((back == record));
      BOOST_TEST(encoded(back) == bytes);  // one encoding per value
    }
  }
}

BOOST_AUTO_TEST_CASE(binding_events_keep_every_field) {
  for (const registrar::Event& e : {bindingAdded(), bindingRefreshedWithoutQ(), bindingRemoved(),
                                    bindingRemoved(registrar::EventKind::Expired)}) {
    Record back;
    BOOST_TEST_REQUIRE(decodeRecord(encoded(e), back) == RecordError::None);
    const auto* event = std::get_if<registrar::Event>(&back);
    BOOST_TEST_REQUIRE(event != nullptr);
    BOOST_TEST((*event == e));
    BOOST_TEST(event->q.has_value() == e.q.has_value());
  }
  // q = 0 is present, not absent.
  registrar::Event zero = bindingAdded();
  zero.q = 0;
  Record back;
  BOOST_TEST_REQUIRE(decodeRecord(encoded(zero), back) == RecordError::None);
  BOOST_TEST(std::get<registrar::Event>(back).q.has_value());
  BOOST_TEST(*std::get<registrar::Event>(back).q == 0);
}

BOOST_AUTO_TEST_CASE(call_legs_keep_the_whole_dialog) {
  for (const CallLegRecord& r : {callLeg(), callLegBare(), callEnded()}) {
    Record back;
    BOOST_TEST_REQUIRE(decodeRecord(encoded(r), back) == RecordError::None);
    const auto* leg = std::get_if<CallLegRecord>(&back);
    BOOST_TEST_REQUIRE(leg != nullptr);
    BOOST_TEST((*leg == r));
    BOOST_TEST(leg->event.dialog.localCseq.has_value() == r.event.dialog.localCseq.has_value());
    BOOST_TEST(leg->event.dialog.remoteCseq.has_value() == r.event.dialog.remoteCseq.has_value());
  }
  CallLegRecord full = callLeg();
  full.event.dialog.routeSet.assign(b2bua::kMaxRouteSet, "<sip:proxy.example.com;lr>");
  Record back;
  BOOST_TEST_REQUIRE(decodeRecord(encoded(full), back) == RecordError::None);
  BOOST_TEST((std::get<CallLegRecord>(back) == full));
}

BOOST_AUTO_TEST_CASE(layout_is_the_documented_one) {
  // Hand-written bytes decode to the value, and the encoder writes exactly them.
  const registrar::Event e = rawBindingEvent();
  BOOST_TEST(encoded(e) == rawBinding({}));
  RawBinding noQ;
  noQ.hasQ = 0;
  registrar::Event withoutQ = e;
  withoutQ.q.reset();
  BOOST_TEST(encoded(withoutQ) == rawBinding(noQ));

  CallLegRecord leg;
  leg.event.sequence = 3;
  leg.event.callKey = "key";
  leg.event.leg = b2bua::LegId::Outbound;
  leg.event.dialog = {.state = b2bua::DialogState::Confirmed,
                      .callId = "cid",
                      .localTag = "lt",
                      .remoteTag = "rt",
                      .localUri = "<sip:a@x>",
                      .remoteUri = "<sip:b@x>",
                      .remoteTarget = "sip:b@192.0.2.2",
                      .routeSet = {"<sip:p;lr>"},
                      .localCseq = 4};
  BOOST_TEST(encoded(leg) == rawCallLeg({}));

  std::string secretBytes(
      "\x01\x04\x02\x00\x00\x00"
      "ab",
      8);
  BOOST_TEST(encoded(SecretRecord{"ab"}) == secretBytes);
}

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(kindName(RecordKind::Binding) == "binding");
  BOOST_TEST(kindName(RecordKind::CallLeg) == "call");
  BOOST_TEST(kindName(RecordKind::Trunk) == "trunk");
  BOOST_TEST(kindName(RecordKind::Secret) == "secret");
  BOOST_TEST(kindName(static_cast<RecordKind>(9)) == "unknown");
  BOOST_TEST((kindOf(trunk()) == RecordKind::Trunk));
  BOOST_TEST(recordErrorName(RecordError::None) == "none");
  BOOST_TEST(recordErrorName(RecordError::BadVersion) == "bad-version");
  BOOST_TEST(recordErrorName(RecordError::UnknownKind) == "unknown-kind");
  BOOST_TEST(recordErrorName(RecordError::Malformed) == "malformed");
}

BOOST_AUTO_TEST_CASE(every_prefix_is_refused) {
  for (const Record& record : allRecords()) {
    const std::string bytes = encoded(record);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      BOOST_TEST_CONTEXT(kindName(kindOf(record)) << " prefix " << n) {
        BOOST_TEST(decode(std::string_view(bytes).substr(0, n)) == RecordError::Malformed);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_version_unknown_kind_and_trailing_bytes) {
  for (const Record& record : allRecords()) {
    BOOST_TEST_CONTEXT(kindName(kindOf(record))) {
      std::string bytes = encoded(record);
      std::string version = bytes;
      version[0] = static_cast<char>(kRecordVersion + 1);
      BOOST_TEST(decode(version) == RecordError::BadVersion);
      version[0] = 0;
      BOOST_TEST(decode(version) == RecordError::BadVersion);
      BOOST_TEST(decode(version.substr(0, 1)) == RecordError::BadVersion);
      std::string kind = bytes;
      for (int unknown : {0, 6, 0xFF}) {
        kind[1] = static_cast<char>(unknown);
        BOOST_TEST(decode(kind) == RecordError::UnknownKind);
      }
      BOOST_TEST(decode(bytes + '\0') == RecordError::Malformed);
      BOOST_TEST(decode(bytes + "xyz") == RecordError::Malformed);
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_enums_and_flags_are_malformed) {
  BOOST_TEST(decode(rawBinding({})) == RecordError::None);
  for (std::uint8_t kind : {0, 6, 0xFF}) {
    BOOST_TEST(decode(rawBinding({.kind = kind})) == RecordError::Malformed);
  }
  BOOST_TEST(decode(rawBinding({.hasQ = 2})) == RecordError::Malformed);
  BOOST_TEST(decode(rawBinding({.q = 1000})) == RecordError::None);
  BOOST_TEST(decode(rawBinding({.q = 1001})) == RecordError::Malformed);
  BOOST_TEST(decode(rawBinding({.q = 0xFFFF})) == RecordError::Malformed);

  BOOST_TEST(decode(rawCallLeg({})) == RecordError::None);
  BOOST_TEST(decode(rawCallLeg({.kind = 2})) == RecordError::None);
  for (std::uint8_t kind : {0, 3}) {
    BOOST_TEST(decode(rawCallLeg({.kind = kind})) == RecordError::Malformed);
  }
  BOOST_TEST(decode(rawCallLeg({.leg = 0})) == RecordError::None);
  BOOST_TEST(decode(rawCallLeg({.leg = 2})) == RecordError::Malformed);  // Transfer slot
  BOOST_TEST(decode(rawCallLeg({.leg = 3})) == RecordError::Malformed);
  BOOST_TEST(decode(rawCallLeg({.state = 3})) == RecordError::None);
  BOOST_TEST(decode(rawCallLeg({.state = 4})) == RecordError::Malformed);
  BOOST_TEST(decode(rawCallLeg({.routes = b2bua::kMaxRouteSet})) == RecordError::None);
  BOOST_TEST(decode(rawCallLeg({.routes = b2bua::kMaxRouteSet + 1})) == RecordError::Malformed);
  BOOST_TEST(decode(rawCallLeg({.hasLocalCseq = 2})) == RecordError::Malformed);
  BOOST_TEST(decode(rawCallLeg({.hasRemoteCseq = 1})) == RecordError::None);
  BOOST_TEST(decode(rawCallLeg({.hasRemoteCseq = 7})) == RecordError::Malformed);
  BOOST_TEST(decode(rawCallLeg({.secure = 1})) == RecordError::None);
  BOOST_TEST(decode(rawCallLeg({.secure = 2})) == RecordError::Malformed);

  std::string trunkBytes = encoded(trunk());
  const std::size_t inServiceAt = 2 + 4 + trunk().dn.size() + 4 + trunk().contact.size();
  trunkBytes[inServiceAt] = 2;
  BOOST_TEST(decode(trunkBytes) == RecordError::Malformed);
}

BOOST_AUTO_TEST_CASE(over_limit_values_are_refused_by_the_encoder) {
  const std::string big(kMaxFieldBytes + 1, 'x');
  std::vector<Record> refused;
  registrar::Event longAor = bindingAdded();
  longAor.aor = big;
  refused.push_back(longAor);
  registrar::Event overBindingLimit = bindingAdded();  // within kMaxFieldBytes, over the store's
  overBindingLimit.source.assign(registrar::kMaxEventFieldLength + 1, 's');
  refused.push_back(overBindingLimit);
  registrar::Event badQ = bindingAdded();
  badQ.q = 1001;
  refused.push_back(badQ);
  registrar::Event badKind = bindingAdded();
  badKind.kind = static_cast<registrar::EventKind>(0);
  refused.push_back(badKind);
  CallLegRecord longSdp = callLeg();
  longSdp.event.dialog.remoteSdp = big;
  refused.push_back(longSdp);
  CallLegRecord longState = callLeg();
  longState.sdpState = big;
  refused.push_back(longState);
  CallLegRecord routes = callLeg();
  routes.event.dialog.routeSet.assign(b2bua::kMaxRouteSet + 1, "<sip:p;lr>");
  refused.push_back(routes);
  CallLegRecord transfer = callLeg();
  transfer.event.leg = b2bua::LegId::Transfer;
  refused.push_back(transfer);
  // Every field within its limit, the whole over kMaxRecordBytes.
  CallLegRecord huge = callLeg();
  const std::string field(kMaxFieldBytes, 'y');
  huge.event.dialog.localSdp = field;
  huge.event.dialog.remoteSdp = field;
  huge.event.dialog.localUri = field;
  huge.event.dialog.remoteUri = field;
  huge.sdpState = field;
  refused.push_back(huge);
  refused.push_back(TrunkRecord{.dn = big});
  refused.push_back(SecretRecord{big});

  for (std::size_t i = 0; i < refused.size(); ++i) {
    BOOST_TEST_CONTEXT("case " << i) {
      std::string out = "kept";
      BOOST_TEST(!encodeRecord(refused[i], out));
      BOOST_TEST(out == "kept");  // nothing appended
    }
  }

  // At the limits it encodes and decodes.
  registrar::Event longest = bindingAdded();
  longest.params.assign(registrar::kMaxEventFieldLength, 'p');
  Record back;
  BOOST_TEST(decodeRecord(encoded(longest), back) == RecordError::None);
  SecretRecord longestSecret{std::string(kMaxFieldBytes, 's')};
  BOOST_TEST(decodeRecord(encoded(longestSecret), back) == RecordError::None);
}

BOOST_AUTO_TEST_CASE(over_limit_input_is_refused_by_the_decoder) {
  // A binding string over the store's 16-bit lengths (within kMaxFieldBytes).
  BOOST_TEST(decode(rawBinding({.aor = std::string(registrar::kMaxEventFieldLength + 1, 'a')})) ==
             RecordError::Malformed);
  // A string length over kMaxFieldBytes, bytes present.
  std::string secretBytes;
  WireWriter w(secretBytes);
  w.u8(kRecordVersion);
  w.u8(static_cast<std::uint8_t>(RecordKind::Secret));
  w.u32(static_cast<std::uint32_t>(kMaxFieldBytes + 1));
  secretBytes.append(kMaxFieldBytes + 1, 's');
  BOOST_TEST(decode(secretBytes) == RecordError::Malformed);
  // A length claiming 4 GiB.
  BOOST_TEST(decode(std::string("\x01\x04\xff\xff\xff\xff", 6)) == RecordError::Malformed);
  // Input over kMaxRecordBytes.
  std::string over = encoded(secret());
  over.resize(kMaxRecordBytes + 1, '\0');
  BOOST_TEST(decode(over) == RecordError::Malformed);
}

BOOST_AUTO_TEST_CASE(a_refused_record_leaves_the_output_alone) {
  Record out = trunk();
  std::string bytes = encoded(bindingAdded());
  bytes.pop_back();
  BOOST_TEST(decodeRecord(bytes, out) == RecordError::Malformed);
  BOOST_TEST((out == Record{trunk()}));
}

BOOST_AUTO_TEST_CASE(random_mutations_never_crash) {
  std::mt19937 random(20260301);
  std::size_t decoded = 0;
  std::size_t rounds = 0;
  for (const Record& record : allRecords()) {
    const std::string bytes = encoded(record);
    for (int round = 0; round < 3000; ++round, ++rounds) {
      const std::string mutated = mutate(bytes, random);
      Record back;
      if (decodeRecord(mutated, back) != RecordError::None) continue;
      ++decoded;
      // What decodes re-encodes to the same bytes.
      std::string again;
      BOOST_TEST_REQUIRE(encodeRecord(back, again));
      BOOST_TEST_REQUIRE(again == mutated);
    }
  }
  BOOST_TEST_MESSAGE("mutations still decoding: " << decoded << " of " << rounds);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::replication::test
