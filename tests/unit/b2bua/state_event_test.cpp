// Replication form of a call: the replica's ordering rules, and a call rebuilt on the backup
// (from events that went through the state stream's CallLeg record) that can still be
// re-INVITEd and hung up. The record's encoding is tested in tests/unit/replication/.
#include "b2bua/state_event.hpp"

#include <variant>

#include "b2bua/call.hpp"
#include "helpers.hpp"
#include "replication/record.hpp"

namespace sipha::b2bua::test {
namespace {

StateEvent sampleEvent() {
  StateEvent e;
  e.sequence = 7;
  e.kind = StateEventKind::LegUpdated;
  e.callKey = "in-call-1@192.0.2.10";
  e.leg = LegId::Outbound;
  Dialog& d = e.dialog;
  d.state = DialogState::Confirmed;
  d.callId = "out-call-1";
  d.localTag = "tag2";
  d.remoteTag = "callee";
  d.localUri = "\"Alice, A\" <sip:2001@x>";
  d.remoteUri = "<sip:2002@x>";
  d.remoteTarget = "sip:2002@192.0.2.20:5070";
  d.routeSet = {"<sip:p1;lr>", "<sip:p2;lr>"};
  d.localCseq = 3;
  d.secure = true;
  d.transport = "TLS";
  d.localSdp = std::string(kOfferSdp) + std::string("\0binary,:", 9);
  d.remoteSdp = std::string(kAnswerSdp);
  return e;
}

// The event through its wire form: encoded as a CallLeg record and decoded again.
std::optional<StateEvent> throughRecord(const StateEvent& event) {
  std::string bytes;
  if (!replication::encodeRecord(replication::CallLegRecord{event, {}}, bytes)) return {};
  replication::Record record;
  if (replication::decodeRecord(bytes, record) != replication::RecordError::None) return {};
  const auto* leg = std::get_if<replication::CallLegRecord>(&record);
  if (!leg) return {};
  return leg->event;
}

BOOST_AUTO_TEST_SUITE(state_event)

BOOST_AUTO_TEST_CASE(replica_ordering) {
  CallReplica replica;
  StateEvent e = sampleEvent();
  BOOST_TEST((replica.apply(e) == CallReplica::ApplyResult::Applied));  // starts anywhere
  BOOST_TEST((replica.apply(e) == CallReplica::ApplyResult::Duplicate));
  StateEvent skip = e;
  skip.sequence = 9;
  BOOST_TEST((replica.apply(skip) == CallReplica::ApplyResult::Gap));
  StateEvent other = e;
  other.sequence = 8;
  other.callKey = "another";
  BOOST_TEST((replica.apply(other) == CallReplica::ApplyResult::WrongCall));
  BOOST_TEST(!replica.complete());  // only one leg known
  StateEvent inbound = e;
  inbound.sequence = 8;
  inbound.leg = LegId::Inbound;
  BOOST_TEST((replica.apply(inbound) == CallReplica::ApplyResult::Applied));
  BOOST_TEST(replica.complete());
  StateEvent end;
  end.sequence = 9;
  end.kind = StateEventKind::CallEnded;
  end.callKey = e.callKey;
  BOOST_TEST((replica.apply(end) == CallReplica::ApplyResult::Applied));
  BOOST_TEST(replica.ended());
  BOOST_TEST(!replica.complete());
}

// Every event the primary emits, encoded, decoded and applied on the backup, rebuilds a call
// that continues the dialogs: a re-INVITE and a BYE through the restored call use the next CSeq.
BOOST_FIXTURE_TEST_CASE(call_rebuilt_on_the_backup, CallFixture) {
  Action invite = establish();
  std::vector<StateEvent> wire;
  for (const StateEvent& e : out.events) wire.push_back(e);
  // An INFO from the caller moves the remote CSeq of the inbound leg and our outbound CSeq.
  requestIn(LegId::Inbound, callerRequest(call, "INFO", 11), 40);
  for (const StateEvent& e : out.events) wire.push_back(e);
  BOOST_REQUIRE_EQUAL(wire.size(), 4u);

  CallReplica replica;
  for (const StateEvent& sent : wire) {
    auto e = throughRecord(sent);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST((*e == sent));
    BOOST_TEST((replica.apply(*e) == CallReplica::ApplyResult::Applied));
  }
  BOOST_REQUIRE(replica.complete());
  BOOST_TEST((replica.leg(LegId::Inbound) == call.dialog(LegId::Inbound)));
  BOOST_TEST((replica.leg(LegId::Outbound) == call.dialog(LegId::Outbound)));

  // The snapshot carries the same state.
  CallReplica fromSnapshot;
  for (const StateEvent& e : call.snapshot()) fromSnapshot.apply(e);
  BOOST_TEST(fromSnapshot.complete());
  BOOST_TEST((fromSnapshot.leg(LegId::Outbound) == call.dialog(LegId::Outbound)));
  BOOST_TEST(fromSnapshot.lastSequence() == replica.lastSequence());

  SequentialIds backupIds;
  auto restored = Call::restore(replica, config, backupIds);
  BOOST_REQUIRE(restored);
  BOOST_TEST(restored->state() == CallState::Confirmed);
  Output o;
  // The caller re-INVITEs through the new primary (hold).
  restored->onRequest(LegId::Inbound, parseWire(callerRequest(call, "INVITE", 12, {}, kOfferSdp)),
                      50, o);
  const Action* reinvite = request(o, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(reinvite);
  auto r = parseWire(reinvite->bytes);
  BOOST_TEST(r->cseq().number == invite.cseq + 2);  // INVITE, INFO, now this
  BOOST_TEST(r->callId() == call.dialog(LegId::Outbound).callId);
  BOOST_TEST(r->to().tag == "callee");
  BOOST_TEST(r->requestUriText() == "sip:2002@192.0.2.20:5070");
  // The replication stream continues where it was.
  BOOST_REQUIRE(!o.events.empty());
  BOOST_TEST(o.events.front().sequence == replica.lastSequence() + 1);
  // An old CSeq from the caller is still refused after the switchover.
  o.clear();
  restored->onRequest(LegId::Inbound, parseWire(callerRequest(call, "INFO", 5)), 51, o);
  BOOST_TEST(response(o, LegId::Inbound, 500));

  // The callee hangs up through the new primary.
  o.clear();
  restored->onRequest(LegId::Outbound, parseWire(calleeRequest(call, "BYE", 1)), 52, o);
  BOOST_TEST(response(o, LegId::Outbound, 200));
  BOOST_TEST(request(o, LegId::Inbound, sip::Method::Bye));
  BOOST_TEST(response(o, LegId::Inbound, 487));  // the pending re-INVITE (15.1.2)
}

BOOST_AUTO_TEST_CASE(restore_needs_both_legs) {
  CallReplica replica;
  replica.apply(sampleEvent());
  CallConfig config;
  SequentialIds ids;
  BOOST_TEST(!Call::restore(replica, config, ids));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
