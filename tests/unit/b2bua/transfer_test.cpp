// Transfers (RFC 3515 REFER; refer-enabled, blind-transfer-enabled): the decisions (403, relay,
// 501), the transfer sipd performs with re-INVITE step by step, its failures, the transferor
// leaving, a second REFER, and the CallTable lookups after the swap (docs/b2bua.md "Transfers").
#include "b2bua/call.hpp"
#include "b2bua/call_table.hpp"
#include "helpers.hpp"

namespace sipha::b2bua::test {
namespace {

// Carol, the transfer target.
constexpr std::string_view kCarolSdp =
    "v=0\r\no=carol 3 3 IN IP4 192.0.2.40\r\ns=-\r\nc=IN IP4 192.0.2.40\r\nt=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n";
constexpr std::string_view kBobAnswerSdp =
    "v=0\r\no=bob 7 8 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
    "m=audio 5000 RTP/AVP 0\r\n";

constexpr std::string_view kReferTo =
    "Refer-To: <sip:3003@sipha.example.com>\n"
    "Referred-By: <sip:2001@sipha.example.com>\n";

struct TransferFixture : CallFixture {
  // Alice (inbound) calls Bob (outbound, a DN with refer-enabled = `bobReferEnabled`); Alice's DN
  // may blind-transfer when `aliceBlind`.
  void establishWith(bool bobReferEnabled, bool aliceBlind) {
    inboundPolicy.blindTransferEnabled = aliceBlind;
    RouteDecision route = twoTargets();
    route.targets[0].transfer.referEnabled = bobReferEnabled;
    Action invite = startCall(callerInvite(), route);
    respondOutbound(invite, ok200());
    requestIn(LegId::Inbound, callerRequest(call, "ACK", 10, {}, {}, "z9hG4bKcallerack"));
    BOOST_REQUIRE_EQUAL(call.state(), CallState::Confirmed);
  }

  static RouteDecision carolTargets(std::size_t count = 1) {
    RouteDecision route;
    for (std::size_t i = 0; i < count; ++i) {
      Target t;
      t.requestUri = "sip:3003@192.0.2." + std::to_string(40 + i) + ":5080";
      route.targets.push_back(t);
    }
    return route;
  }

  // Alice's REFER; returns nothing, `out` holds the call's answer.
  void refer(std::uint32_t cseq = 11, std::string_view headers = kReferTo) {
    requestIn(LegId::Inbound, callerRequest(call, "REFER", cseq, headers, {}, "z9hG4bKrefer"), 40);
  }

  // REFER accepted and routed to Carol: returns the INVITE to Carol.
  Action referAndRoute(std::size_t targets = 1) {
    refer();
    BOOST_REQUIRE(response(out, LegId::Inbound, 202));
    out.clear();
    call.onTransferRoute(carolTargets(targets), out);
    const Action* invite = request(out, LegId::Transfer, sip::Method::Invite);
    BOOST_REQUIRE(invite);
    return *invite;
  }

  static PeerResponse carol200() {
    PeerResponse peer;
    peer.toTag = "carol-tag";
    peer.headers = {{"Contact", "<sip:3003@192.0.2.40:5080>"}};
    peer.contentType = "application/sdp";
    peer.body = kCarolSdp;
    return peer;
  }

  void respondTransfer(const Action& sent, const PeerResponse& peer) {
    auto message = answer(sent, peer);
    out.clear();
    call.onResponse(LegId::Transfer, *message, out);
  }

  // Carol answers; returns the re-INVITE to Bob.
  Action carolAnswers(const Action& invite) {
    respondTransfer(invite, carol200());
    const Action* reinvite = request(out, LegId::Outbound, sip::Method::Invite);
    BOOST_REQUIRE(reinvite);
    return *reinvite;
  }

  static PeerResponse bob200() {
    PeerResponse peer;
    peer.toTag = {};  // in-dialog: the request carries Bob's tag
    peer.headers = {{"Contact", "<sip:2002@192.0.2.20:5070>"}};
    peer.contentType = "application/sdp";
    peer.body = kBobAnswerSdp;
    return peer;
  }

  const Action* notify(LegId leg) const { return request(out, leg, sip::Method::Notify); }
};

void checkNotify(const Action* sent, std::string_view statusLine, std::string_view state) {
  BOOST_REQUIRE(sent);
  auto n = parseWire(sent->bytes);
  BOOST_TEST(n->header(sip::HeaderId::Event) == "refer");
  BOOST_TEST(n->header(sip::HeaderId::SubscriptionState) == state);
  BOOST_TEST(n->header(sip::HeaderId::ContentType) == "message/sipfrag;version=2.0");
  BOOST_TEST(n->body() == std::string(statusLine) + "\r\n");
  BOOST_TEST(n->header(sip::HeaderId::Contact) == "<sip:sipd@10.0.0.1:5060>");
}

BOOST_AUTO_TEST_SUITE(transfer)

BOOST_FIXTURE_TEST_CASE(blind_refer_is_403_when_blind_transfer_is_disabled, TransferFixture) {
  establishWith(false, false);
  refer();
  const Action* refused = response(out, LegId::Inbound, 403);
  BOOST_REQUIRE(refused);
  BOOST_TEST(parseWire(refused->bytes)->reason() == "Blind Transfer Not Enabled");
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Refer));
  BOOST_TEST(actionsOf(out, ActionKind::RouteTransfer).empty());
  BOOST_TEST(!notify(LegId::Inbound));
  BOOST_TEST(call.state() == CallState::Confirmed);
}

BOOST_FIXTURE_TEST_CASE(refer_is_relayed_when_the_transferee_accepts_refer, TransferFixture) {
  establishWith(true, true);
  refer();
  const Action* relayed = request(out, LegId::Outbound, sip::Method::Refer);
  BOOST_REQUIRE(relayed);
  auto r = parseWire(relayed->bytes);
  BOOST_TEST(r->header(sip::HeaderId::ReferTo) == "<sip:3003@sipha.example.com>");
  BOOST_TEST(r->header(sip::HeaderId::ReferredBy) == "<sip:2001@sipha.example.com>");
  BOOST_TEST(r->callId() == call.dialog(LegId::Outbound).callId);
  BOOST_TEST(actionsOf(out, ActionKind::RouteTransfer).empty());
  Action sent = *relayed;
  PeerResponse accepted;
  accepted.status = 202;
  accepted.reason = "Accepted";
  accepted.toTag = {};
  accepted.headers = {{"Contact", "<sip:2002@192.0.2.20:5070>"}};
  respondOutbound(sent, accepted);
  BOOST_TEST(response(out, LegId::Inbound, 202));
  // Bob's NOTIFY comes back through the dialog to Alice, body and event intact.
  requestIn(LegId::Outbound,
            calleeRequest(call, "NOTIFY", 1,
                          "Event: refer\nSubscription-State: active;expires=60\n"
                          "Content-Type: message/sipfrag;version=2.0\n",
                          {}),
            41);
  const Action* n = request(out, LegId::Inbound, sip::Method::Notify);
  BOOST_REQUIRE(n);
  BOOST_TEST(parseWire(n->bytes)->header(sip::HeaderId::Event) == "refer");
}

// Attended (Refer-To with Replaces) toward a refer-enabled = false party: no blind permission
// needed; the integrator resolves the named dialog into the target (its other party) and the
// Replaces it must send; the rest is the re-INVITE flow, and the end says the replaced call may
// go (TransferCompleted).
BOOST_FIXTURE_TEST_CASE(attended_transfer_toward_refer_disabled, TransferFixture) {
  establishWith(false, false);
  refer(11,
        "Refer-To: <sip:3003@sipha.example.com?Replaces=abc%40h%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>\n");
  BOOST_REQUIRE(response(out, LegId::Inbound, 202));
  const auto routes = actionsOf(out, ActionKind::RouteTransfer);
  BOOST_REQUIRE_EQUAL(routes.size(), 1u);
  BOOST_TEST(routes[0]->bytes ==
             "sip:3003@sipha.example.com?Replaces=abc%40h%3Bto-tag%3Dt1%3Bfrom-tag%3Df1");
  RouteDecision carol = carolTargets();
  carol.targets[0].replaces = "carol-call;to-tag=carol-tag;from-tag=sipd-tag";
  out.clear();
  call.onTransferRoute(carol, out);
  const Action* invite = request(out, LegId::Transfer, sip::Method::Invite);
  BOOST_REQUIRE(invite);
  auto i = parseWire(invite->bytes);
  BOOST_TEST(i->to().uri == "sip:3003@sipha.example.com");  // without the URI's headers
  BOOST_TEST(std::string(invite->bytes)
                 .find("\r\nReplaces: carol-call;to-tag=carol-tag;from-tag=sipd-tag\r\n") !=
             std::string::npos);
  Action reinvite = carolAnswers(*invite);
  respondOutbound(reinvite, bob200());
  const auto done = actionsOf(out, ActionKind::TransferCompleted);
  BOOST_REQUIRE_EQUAL(done.size(), 1u);
  BOOST_TEST(done[0]->leg == LegId::Inbound);
  BOOST_TEST(call.dialog(LegId::Inbound).remoteTag == "carol-tag");
}

BOOST_FIXTURE_TEST_CASE(terminate_ends_a_confirmed_call, TransferFixture) {
  establishWith(true, false);
  out.clear();
  call.terminate(out);
  BOOST_TEST(request(out, LegId::Inbound, sip::Method::Bye));
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Bye));
  BOOST_TEST(call.state() == CallState::Terminating);
  out.clear();
  call.terminate(out);  // only once
  BOOST_TEST(out.actions.empty());
}

BOOST_FIXTURE_TEST_CASE(refer_without_refer_to_is_400, TransferFixture) {
  establishWith(false, true);
  refer(11, "");
  BOOST_TEST(response(out, LegId::Inbound, 400));
}

BOOST_FIXTURE_TEST_CASE(transfer_by_reinvite_step_by_step, TransferFixture) {
  establishWith(false, true);
  const std::string bobCallId = call.dialog(LegId::Outbound).callId;
  const std::string bobTag = call.dialog(LegId::Outbound).remoteTag;

  // 1. 202 + NOTIFY 100 to Alice, and the Refer-To to route.
  refer();
  const Action* accepted = response(out, LegId::Inbound, 202);
  BOOST_REQUIRE(accepted);
  BOOST_TEST(accepted->server == 40u);
  auto a202 = parseWire(accepted->bytes);
  BOOST_TEST(a202->header(sip::HeaderId::Contact) == "<sip:sipd@10.0.0.1:5060>");
  checkNotify(notify(LegId::Inbound), "SIP/2.0 100 Trying", "active;expires=60");
  auto n100 = parseWire(notify(LegId::Inbound)->bytes);
  BOOST_TEST(n100->callId() == "in-call-1@192.0.2.10");
  BOOST_TEST(n100->requestUriText() == "sip:2001@192.0.2.10:5060");
  const auto routes = actionsOf(out, ActionKind::RouteTransfer);
  BOOST_REQUIRE_EQUAL(routes.size(), 1u);
  BOOST_TEST(routes[0]->bytes == "sip:3003@sipha.example.com");
  BOOST_TEST(call.transferring());
  Action notify100 = *notify(LegId::Inbound);
  PeerResponse notifyOk;
  notifyOk.toTag = {};
  respondInbound(notify100, notifyOk);  // Alice's 200 to the NOTIFY changes nothing

  // 2-3. Routed: INVITE to Carol on a new dialog, carrying Bob's session description.
  out.clear();
  call.onTransferRoute(carolTargets(), out);
  BOOST_TEST(actionsOf(out, ActionKind::KeysChanged).size() == 1u);
  const Action* invite = request(out, LegId::Transfer, sip::Method::Invite);
  BOOST_REQUIRE(invite);
  auto i = parseWire(invite->bytes);
  BOOST_TEST(i->requestUriText() == "sip:3003@192.0.2.40:5080");
  BOOST_TEST(i->callId() != "in-call-1@192.0.2.10");
  BOOST_TEST(i->callId() != bobCallId);
  BOOST_TEST(i->cseq().number == 1u);
  BOOST_TEST(i->to().uri == "sip:3003@sipha.example.com");
  BOOST_TEST(i->to().tag.empty());
  BOOST_TEST(i->from().uri == "sip:2002@sipha.example.com");  // Bob, whom Carol will talk to
  BOOST_TEST(i->header(sip::HeaderId::Contact) == "<sip:sipd@10.0.0.1:5060>");
  BOOST_TEST(i->header(sip::HeaderId::ReferredBy) == "<sip:2001@sipha.example.com>");
  BOOST_TEST(i->body() == kAnswerSdp);  // Bob's last SDP (the 200 of the call)
  const Action* ring = timer(out, ActionKind::StartTimer, TimerKind::NoAnswer, LegId::Transfer);
  BOOST_REQUIRE(ring);
  BOOST_TEST(ring->delay.count() == config.transferNoAnswer.count());
  Action inviteCarol = *invite;

  // Ringing changes nothing upstream.
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  ringing.toTag = "carol-tag";
  respondTransfer(inviteCarol, ringing);
  BOOST_TEST(!notify(LegId::Inbound));
  BOOST_TEST(!response(out, LegId::Inbound, 180));

  // 4. Carol answers: ACK Carol, re-INVITE Bob with Carol's SDP.
  respondTransfer(inviteCarol, carol200());
  const Action* ack = request(out, LegId::Transfer, sip::Method::Ack);
  BOOST_REQUIRE(ack);
  BOOST_TEST(parseWire(ack->bytes)->cseq().number == 1u);
  BOOST_TEST(parseWire(ack->bytes)->body().empty());
  BOOST_TEST(timer(out, ActionKind::CancelTimer, TimerKind::NoAnswer, LegId::Transfer));
  const Action* reinvite = request(out, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(reinvite);
  auto r = parseWire(reinvite->bytes);
  BOOST_TEST(r->callId() == bobCallId);
  BOOST_TEST(r->to().tag == bobTag);
  BOOST_TEST(r->cseq().number == 2u);  // Bob's leg: INVITE 1, then this
  BOOST_TEST(r->requestUriText() == "sip:2002@192.0.2.20:5070");
  BOOST_TEST(r->body() == kCarolSdp);
  BOOST_TEST(r->header(sip::HeaderId::ContentType) == "application/sdp");
  BOOST_TEST(!notify(LegId::Inbound));
  BOOST_TEST(!request(out, LegId::Inbound, sip::Method::Bye));
  Action reinviteBob = *reinvite;

  // 5. Bob accepts: ACK Bob, NOTIFY 200 + BYE to Alice, Carol takes Alice's slot.
  respondOutbound(reinviteBob, bob200());
  const Action* ackBob = request(out, LegId::Outbound, sip::Method::Ack);
  BOOST_REQUIRE(ackBob);
  BOOST_TEST(parseWire(ackBob->bytes)->cseq().number == 2u);
  checkNotify(notify(LegId::Transfer), "SIP/2.0 200 OK", "terminated;reason=noresource");
  auto n200 = parseWire(notify(LegId::Transfer)->bytes);
  BOOST_TEST(n200->callId() == "in-call-1@192.0.2.10");
  const Action* byeAlice = request(out, LegId::Transfer, sip::Method::Bye);
  BOOST_REQUIRE(byeAlice);
  BOOST_TEST(parseWire(byeAlice->bytes)->callId() == "in-call-1@192.0.2.10");
  // NOTIFY before BYE (RFC 3515: the subscription ends with the final NOTIFY).
  BOOST_TEST(notify(LegId::Transfer) < byeAlice);
  BOOST_TEST(actionsOf(out, ActionKind::KeysChanged).size() == 1u);
  BOOST_TEST(!call.transferring());
  BOOST_TEST(call.state() == CallState::Confirmed);
  const Dialog& carol = call.dialog(LegId::Inbound);
  BOOST_TEST(carol.callId == i->callId());
  BOOST_TEST(carol.remoteTag == "carol-tag");
  BOOST_TEST(carol.remoteTarget == "sip:3003@192.0.2.40:5080");
  BOOST_TEST(call.dialog(LegId::Transfer).callId == "in-call-1@192.0.2.10");
  // Replication describes the new leg under the same call key.
  bool replicated = false;
  for (const StateEvent& e : out.events) {
    replicated |= e.kind == StateEventKind::LegUpdated && e.leg == LegId::Inbound &&
                  e.dialog.callId == carol.callId && e.callKey == "in-call-1@192.0.2.10";
  }
  BOOST_TEST(replicated);

  // Alice answers the NOTIFY and the BYE on the old dialog.
  Action notify200 = *notify(LegId::Transfer);
  Action bye = *byeAlice;
  for (const Action* sent : {&notify200, &bye}) {
    auto message = answer(*sent, notifyOk);
    out.clear();
    call.onResponse(LegId::Transfer, *message, out);
    BOOST_TEST(out.actions.empty());
  }

  // Bob hangs up: the BYE goes to Carol in her dialog (our CSeq 2 after INVITE 1).
  requestIn(LegId::Outbound, calleeRequest(call, "BYE", 5, {}, {}, "z9hG4bKbobbye"), 42);
  BOOST_TEST(response(out, LegId::Outbound, 200));
  const Action* byeCarol = request(out, LegId::Inbound, sip::Method::Bye);
  BOOST_REQUIRE(byeCarol);
  auto b = parseWire(byeCarol->bytes);
  BOOST_TEST(b->callId() == carol.callId);
  BOOST_TEST(b->to().tag == "carol-tag");
  BOOST_TEST(b->cseq().number == 2u);
  BOOST_TEST(b->requestUriText() == "sip:3003@192.0.2.40:5080");
  Action byeC = *byeCarol;
  PeerResponse byeOk;
  byeOk.toTag = {};
  respondInbound(byeC, byeOk);
  BOOST_TEST(ended(out));
}

// The callee transfers the caller: the same flow with the legs the other way round (Carol
// takes the outbound slot, Alice is re-INVITEd on her own dialog).
BOOST_FIXTURE_TEST_CASE(callee_transfers_the_caller, TransferFixture) {
  inboundPolicy.referEnabled = false;  // Alice's DN
  RouteDecision route = twoTargets();
  route.targets[0].transfer.blindTransferEnabled = true;  // Bob may blind-transfer
  Action invite = startCall(callerInvite(), route);
  respondOutbound(invite, ok200());
  requestIn(LegId::Inbound, callerRequest(call, "ACK", 10, {}, {}, "z9hG4bKcallerack"));
  requestIn(LegId::Outbound, calleeRequest(call, "REFER", 2, kReferTo, {}, "z9hG4bKbobrefer"), 50);
  BOOST_REQUIRE(response(out, LegId::Outbound, 202));
  checkNotify(notify(LegId::Outbound), "SIP/2.0 100 Trying", "active;expires=60");
  out.clear();
  call.onTransferRoute(carolTargets(), out);
  const Action* toCarol = request(out, LegId::Transfer, sip::Method::Invite);
  BOOST_REQUIRE(toCarol);
  auto i = parseWire(toCarol->bytes);
  BOOST_TEST(i->body() == kOfferSdp);                         // Alice's session
  BOOST_TEST(i->from().uri == "sip:2001@sipha.example.com");  // Alice, Carol's new peer
  Action inviteCarol = *toCarol;
  respondTransfer(inviteCarol, carol200());
  const Action* reinvite = request(out, LegId::Inbound, sip::Method::Invite);
  BOOST_REQUIRE(reinvite);
  auto r = parseWire(reinvite->bytes);
  BOOST_TEST(r->callId() == "in-call-1@192.0.2.10");
  BOOST_TEST(r->requestUriText() == "sip:2001@192.0.2.10:5060");
  BOOST_TEST(r->to().tag == "alice-tag");
  BOOST_TEST(r->cseq().number == 1u);  // sipd's first request on Alice's dialog
  BOOST_TEST(r->body() == kCarolSdp);
  Action reinviteAlice = *reinvite;
  PeerResponse aliceOk;
  aliceOk.toTag = {};
  aliceOk.headers = {{"Contact", "<sip:2001@192.0.2.10:5060>"}};
  aliceOk.contentType = "application/sdp";
  aliceOk.body = kOfferSdp;
  respondInbound(reinviteAlice, aliceOk);
  BOOST_TEST(request(out, LegId::Inbound, sip::Method::Ack));
  checkNotify(notify(LegId::Transfer), "SIP/2.0 200 OK", "terminated;reason=noresource");
  const Action* byeBob = request(out, LegId::Transfer, sip::Method::Bye);
  BOOST_REQUIRE(byeBob);
  BOOST_TEST(parseWire(byeBob->bytes)->to().tag == "callee");
  BOOST_TEST(call.dialog(LegId::Outbound).remoteTag == "carol-tag");
  // Alice hangs up: the BYE goes to Carol.
  requestIn(LegId::Inbound, callerRequest(call, "BYE", 11, {}, {}, "z9hG4bKalicebye"), 51);
  const Action* byeCarol = request(out, LegId::Outbound, sip::Method::Bye);
  BOOST_REQUIRE(byeCarol);
  BOOST_TEST(parseWire(byeCarol->bytes)->to().tag == "carol-tag");
  BOOST_TEST(parseWire(byeCarol->bytes)->cseq().number == 2u);
}

// The offer to the target is the transferee's last SDP, not the last body it sent (an INFO).
BOOST_FIXTURE_TEST_CASE(info_body_does_not_replace_the_offered_session, TransferFixture) {
  establishWith(false, true);
  std::string info = calleeRequest(call, "INFO", 2);
  const std::string empty = "Content-Length: 0\r\n\r\n";
  info.replace(info.find(empty), empty.size(),
               "Content-Type: application/dtmf-relay\r\nContent-Length: 24\r\n\r\n"
               "Signal=5\r\nDuration=160\r\n");
  requestIn(LegId::Outbound, info, 52);
  BOOST_REQUIRE(request(out, LegId::Inbound, sip::Method::Info));
  BOOST_TEST(call.dialog(LegId::Outbound).remoteSdp == "Signal=5\r\nDuration=160\r\n");
  Action invite = referAndRoute();
  BOOST_TEST(parseWire(invite.bytes)->body() == kAnswerSdp);
}

BOOST_FIXTURE_TEST_CASE(carol_hangs_up_after_the_swap, TransferFixture) {
  establishWith(false, true);
  Action inviteCarol = referAndRoute();
  Action reinvite = carolAnswers(inviteCarol);
  respondOutbound(reinvite, bob200());
  const Dialog carol = call.dialog(LegId::Inbound);
  // Carol's BYE: she is the UAS of her dialog; her request carries her tag in From.
  std::string bye = crlf(
      "BYE sip:sipd@10.0.0.1:5060 SIP/2.0\n"
      "Via: SIP/2.0/UDP 192.0.2.40:5080;branch=z9hG4bKcarolbye\n"
      "Max-Forwards: 70\n"
      "From: <sip:3003@sipha.example.com>;tag=carol-tag\n"
      "To: <sip:2002@sipha.example.com>;tag=" +
      carol.localTag + "\nCall-ID: " + carol.callId + "\nCSeq: 1 BYE\nContent-Length: 0\n\n");
  requestIn(LegId::Inbound, bye, 43);
  BOOST_TEST(response(out, LegId::Inbound, 200));
  const Action* byeBob = request(out, LegId::Outbound, sip::Method::Bye);
  BOOST_REQUIRE(byeBob);
  BOOST_TEST(parseWire(byeBob->bytes)->cseq().number == 3u);  // INVITE 1, re-INVITE 2, BYE 3
  BOOST_TEST(call.state() == CallState::Terminating);
}

BOOST_FIXTURE_TEST_CASE(route_failure_is_notified_and_the_call_stays, TransferFixture) {
  establishWith(false, true);
  refer();
  out.clear();
  RouteDecision none;
  none.failureStatus = 404;
  none.failureReason = "Not Found";
  call.onTransferRoute(none, out);
  checkNotify(notify(LegId::Inbound), "SIP/2.0 404 Not Found", "terminated;reason=noresource");
  BOOST_TEST(!request(out, LegId::Transfer, sip::Method::Invite));
  BOOST_TEST(!request(out, LegId::Inbound, sip::Method::Bye));
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Bye));
  BOOST_TEST(!call.transferring());
  BOOST_TEST(call.state() == CallState::Confirmed);
  // A late decision is ignored.
  out.clear();
  call.onTransferRoute(carolTargets(), out);
  BOOST_TEST(out.actions.empty());
}

BOOST_FIXTURE_TEST_CASE(target_failover_then_busy_is_notified, TransferFixture) {
  establishWith(false, true);
  Action first = referAndRoute(2);
  PeerResponse unavailable;
  unavailable.status = 503;
  unavailable.reason = "Service Unavailable";
  unavailable.toTag = "gw";
  respondTransfer(first, unavailable);
  const auto failed = actionsOf(out, ActionKind::TargetFailed);
  BOOST_REQUIRE_EQUAL(failed.size(), 1u);
  BOOST_TEST(failed[0]->leg == LegId::Transfer);
  BOOST_TEST(failed[0]->targetIndex == 0u);
  const Action* second = request(out, LegId::Transfer, sip::Method::Invite);
  BOOST_REQUIRE(second);
  BOOST_TEST(parseWire(second->bytes)->requestUriText() == "sip:3003@192.0.2.41:5080");
  BOOST_TEST(parseWire(second->bytes)->cseq().number == 2u);
  BOOST_TEST(call.transferTargetIndex() == 1u);
  Action secondCopy = *second;
  PeerResponse busy;
  busy.status = 486;
  busy.reason = "Busy Here";
  busy.toTag = "carol-tag";
  respondTransfer(secondCopy, busy);
  checkNotify(notify(LegId::Inbound), "SIP/2.0 486 Busy Here", "terminated;reason=noresource");
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Invite));
  BOOST_TEST(!request(out, LegId::Inbound, sip::Method::Bye));
  BOOST_TEST(call.state() == CallState::Confirmed);
  BOOST_TEST(!call.transferring());
  // Alice and Bob still talk: a re-INVITE from Bob reaches Alice.
  requestIn(LegId::Outbound, calleeRequest(call, "INFO", 2, {}, {}), 44);
  BOOST_TEST(request(out, LegId::Inbound, sip::Method::Info));
}

BOOST_FIXTURE_TEST_CASE(bob_refusing_the_new_session_releases_carol, TransferFixture) {
  establishWith(false, true);
  Action reinvite = carolAnswers(referAndRoute());
  PeerResponse refused;
  refused.status = 488;
  refused.reason = "Not Acceptable Here";
  refused.toTag = {};
  respondOutbound(reinvite, refused);
  BOOST_TEST(request(out, LegId::Transfer, sip::Method::Bye));  // Carol released
  checkNotify(notify(LegId::Inbound), "SIP/2.0 488 Not Acceptable Here",
              "terminated;reason=noresource");
  BOOST_TEST(call.state() == CallState::Confirmed);
  BOOST_TEST(call.dialog(LegId::Inbound).callId == "in-call-1@192.0.2.10");  // no swap
}

BOOST_FIXTURE_TEST_CASE(transferor_hanging_up_does_not_stop_the_transfer, TransferFixture) {
  establishWith(false, true);
  Action inviteCarol = referAndRoute();
  requestIn(LegId::Inbound, callerRequest(call, "BYE", 12, {}, {}, "z9hG4bKalicebye"), 45);
  BOOST_TEST(response(out, LegId::Inbound, 200));
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Bye));
  BOOST_TEST(!actionsOf(out, ActionKind::CallEnded).size());
  BOOST_TEST(call.transferring());
  // Bob's requests meanwhile have nobody to go to: 500 + Retry-After.
  requestIn(LegId::Outbound, calleeRequest(call, "INFO", 2), 46);
  const Action* later = response(out, LegId::Outbound, 500);
  BOOST_REQUIRE(later);
  BOOST_TEST(parseWire(later->bytes)->has(sip::HeaderId::RetryAfter));

  Action reinvite = carolAnswers(inviteCarol);
  respondOutbound(reinvite, bob200());
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Ack));
  BOOST_TEST(!notify(LegId::Transfer));  // Alice is gone: no NOTIFY, no BYE
  BOOST_TEST(!request(out, LegId::Transfer, sip::Method::Bye));
  BOOST_TEST(call.dialog(LegId::Inbound).remoteTag == "carol-tag");
  BOOST_TEST(call.state() == CallState::Confirmed);
  BOOST_TEST(!ended(out));
}

BOOST_FIXTURE_TEST_CASE(transferor_gone_and_target_failing_ends_the_call, TransferFixture) {
  establishWith(false, true);
  Action inviteCarol = referAndRoute();
  requestIn(LegId::Inbound, callerRequest(call, "BYE", 12, {}, {}, "z9hG4bKalicebye"), 45);
  PeerResponse busy;
  busy.status = 486;
  busy.reason = "Busy Here";
  busy.toTag = "carol-tag";
  respondTransfer(inviteCarol, busy);
  BOOST_TEST(!notify(LegId::Inbound));
  const Action* byeBob = request(out, LegId::Outbound, sip::Method::Bye);
  BOOST_REQUIRE(byeBob);
  Action bye = *byeBob;
  PeerResponse ok;
  ok.toTag = {};
  respondOutbound(bye, ok);
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(second_refer_while_one_runs_is_500_retry_after, TransferFixture) {
  establishWith(false, true);
  referAndRoute();
  refer(12);
  const Action* later = response(out, LegId::Inbound, 500);
  BOOST_REQUIRE(later);
  BOOST_TEST(parseWire(later->bytes)->header(sip::HeaderId::RetryAfter) == "5");
  BOOST_TEST(actionsOf(out, ActionKind::RouteTransfer).empty());
  // A new offer while the transfer owns the session: 491.
  requestIn(LegId::Outbound, calleeRequest(call, "INVITE", 3, {}, kOfferSdp), 47);
  BOOST_TEST(response(out, LegId::Outbound, 491));
}

BOOST_FIXTURE_TEST_CASE(transferee_hanging_up_cancels_the_target, TransferFixture) {
  establishWith(false, true);
  Action inviteCarol = referAndRoute();
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  ringing.toTag = "carol-tag";
  respondTransfer(inviteCarol, ringing);
  requestIn(LegId::Outbound, calleeRequest(call, "BYE", 4, {}, {}, "z9hG4bKbobbye"), 48);
  BOOST_TEST(response(out, LegId::Outbound, 200));
  BOOST_TEST(request(out, LegId::Transfer, sip::Method::Cancel));
  checkNotify(notify(LegId::Inbound), "SIP/2.0 487 Request Terminated",
              "terminated;reason=noresource");
  BOOST_TEST(request(out, LegId::Inbound, sip::Method::Bye));
  BOOST_TEST(call.state() == CallState::Terminating);
  // Carol's 487 and Alice's answers end the call.
  Action byeAlice = *request(out, LegId::Inbound, sip::Method::Bye);
  Action notify487 = *notify(LegId::Inbound);
  PeerResponse terminated;
  terminated.status = 487;
  terminated.reason = "Request Terminated";
  terminated.toTag = "carol-tag";
  respondTransfer(inviteCarol, terminated);
  PeerResponse ok;
  ok.toTag = {};
  respondInbound(notify487, ok);
  BOOST_TEST(!ended(out));
  respondInbound(byeAlice, ok);
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(no_answer_from_the_target_is_bounded, TransferFixture) {
  establishWith(false, true);
  Action inviteCarol = referAndRoute();
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  ringing.toTag = "carol-tag";
  respondTransfer(inviteCarol, ringing);
  out.clear();
  call.onTimer(TimerId{TimerKind::NoAnswer, LegId::Transfer}, out);
  BOOST_TEST(request(out, LegId::Transfer, sip::Method::Cancel));
  checkNotify(notify(LegId::Inbound), "SIP/2.0 480 Temporarily Unavailable",
              "terminated;reason=noresource");
  BOOST_TEST(timer(out, ActionKind::StartTimer, TimerKind::CancelGuard, LegId::Transfer));
  // Until the cancelled INVITE is over another REFER waits; the guard gives it up.
  refer(12);
  BOOST_TEST(response(out, LegId::Inbound, 500));
  out.clear();
  call.onTimer(TimerId{TimerKind::CancelGuard, LegId::Transfer}, out);
  refer(13);
  BOOST_TEST(response(out, LegId::Inbound, 202));
}

// A target cancelled for no answer, then the next one takes the call: the abandoned attempt
// neither holds the call nor is left unanswered (a late 2xx of it is ACKed and released).
BOOST_FIXTURE_TEST_CASE(abandoned_attempt_after_the_swap, TransferFixture) {
  establishWith(false, true);
  Action first = referAndRoute(2);
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  ringing.toTag = "first-tag";
  respondTransfer(first, ringing);
  out.clear();
  call.onTimer(TimerId{TimerKind::NoAnswer, LegId::Transfer}, out);
  BOOST_TEST(request(out, LegId::Transfer, sip::Method::Cancel));
  BOOST_TEST(!notify(LegId::Inbound));
  const Action* second = request(out, LegId::Transfer, sip::Method::Invite);
  BOOST_REQUIRE(second);
  Action reinvite = carolAnswers(*second);
  respondOutbound(reinvite, bob200());
  BOOST_REQUIRE(call.dialog(LegId::Inbound).remoteTag == "carol-tag");
  BOOST_TEST(timer(out, ActionKind::CancelTimer, TimerKind::CancelGuard, LegId::Transfer));
  Action byeAlice = *request(out, LegId::Transfer, sip::Method::Bye);
  PeerResponse ok;
  ok.toTag = {};
  auto aliceOk = answer(byeAlice, ok);
  out.clear();
  call.onResponse(LegId::Transfer, *aliceOk, out);
  // The first target answers anyway, late: ACK and BYE on its own dialog.
  PeerResponse late = carol200();
  late.toTag = "first-tag";
  auto message = answer(first, late);
  out.clear();
  call.onResponse(LegId::Inbound, *message, out);  // our Call-ID: found in Carol's slot
  const Action* ack = request(out, LegId::Inbound, sip::Method::Ack);
  const Action* bye = request(out, LegId::Inbound, sip::Method::Bye);
  BOOST_REQUIRE(ack);
  BOOST_REQUIRE(bye);
  BOOST_TEST(parseWire(bye->bytes)->to().tag == "first-tag");
  BOOST_TEST(call.state() == CallState::Confirmed);
  // Bob hangs up: Carol's BYE answer ends the call (nothing else holds it).
  requestIn(LegId::Outbound, calleeRequest(call, "BYE", 5, {}, {}, "z9hG4bKbobbye"), 49);
  Action byeCarol = *request(out, LegId::Inbound, sip::Method::Bye);
  respondInbound(byeCarol, ok);
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(no_session_to_offer_fails_the_transfer, TransferFixture) {
  inboundPolicy.blindTransferEnabled = true;
  RouteDecision route = twoTargets();
  route.targets[0].transfer.referEnabled = false;
  Action invite = startCall(callerInvite({}), route);  // no SDP anywhere in this call
  respondOutbound(invite, ok200({}));
  requestIn(LegId::Inbound, callerRequest(call, "ACK", 10));
  BOOST_REQUIRE_EQUAL(call.state(), CallState::Confirmed);
  refer();
  out.clear();
  call.onTransferRoute(carolTargets(), out);
  BOOST_TEST(!request(out, LegId::Transfer, sip::Method::Invite));
  checkNotify(notify(LegId::Inbound), "SIP/2.0 488 Not Acceptable Here",
              "terminated;reason=noresource");
  BOOST_TEST(call.state() == CallState::Confirmed);
}

BOOST_FIXTURE_TEST_CASE(a_second_transfer_notifies_with_an_id, TransferFixture) {
  establishWith(false, true);
  refer(11);
  out.clear();
  RouteDecision none;
  none.failureStatus = 404;
  none.failureReason = "Not Found";
  call.onTransferRoute(none, out);
  refer(12);
  BOOST_REQUIRE(response(out, LegId::Inbound, 202));
  auto n = parseWire(notify(LegId::Inbound)->bytes);
  BOOST_TEST(n->header(sip::HeaderId::Event) == "refer;id=12");  // RFC 3515 2.4.6
}

// The CallTable finds every message of a transferred call: Carol's requests and responses in
// the Inbound slot, Alice's answers in the Transfer slot, Bob unchanged.
BOOST_AUTO_TEST_CASE(call_table_after_the_swap) {
  CallConfig config;
  SequentialIds ids;
  CallTable table(4);
  auto owned = std::make_unique<Call>(config, ids);
  Call& call = *owned;
  Output out;
  InboundContext context;
  context.server = 1;
  context.transfer.blindTransferEnabled = true;
  RouteDecision route = twoTargets();
  route.targets[0].transfer.referEnabled = false;
  call.start(parseWire(callerInvite()), context, route, out);
  Action invite = *request(out, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(table.insert(std::move(owned)) == &call);
  out.clear();
  call.onResponse(LegId::Outbound, *answer(invite, CallFixture::ok200()), out);
  out.clear();
  call.onRequest(LegId::Inbound, parseWire(callerRequest(call, "ACK", 10)), 0, out);
  out.clear();
  call.onRequest(LegId::Inbound,
                 parseWire(callerRequest(call, "REFER", 11, kReferTo, {}, "z9hG4bKr")), 2, out);
  out.clear();
  call.onTransferRoute(TransferFixture::carolTargets(), out);
  BOOST_REQUIRE(!actionsOf(out, ActionKind::KeysChanged).empty());
  BOOST_TEST(table.refresh(&call));
  Action inviteCarol = *request(out, LegId::Transfer, sip::Method::Invite);
  // Carol's provisional (no To tag yet from our side's view: a fork) finds the Transfer leg.
  auto carolOk = answer(inviteCarol, TransferFixture::carol200());
  CallTable::Match m = table.find(*carolOk);
  BOOST_TEST(m.call == &call);
  BOOST_TEST(m.leg == LegId::Transfer);
  out.clear();
  call.onResponse(m.leg, *carolOk, out);
  Action reinvite = *request(out, LegId::Outbound, sip::Method::Invite);
  PeerResponse bobOk = TransferFixture::bob200();
  auto bobAnswer = answer(reinvite, bobOk);
  m = table.find(*bobAnswer);
  BOOST_TEST(m.leg == LegId::Outbound);
  out.clear();
  call.onResponse(m.leg, *bobAnswer, out);
  BOOST_REQUIRE(!actionsOf(out, ActionKind::KeysChanged).empty());
  BOOST_TEST(table.refresh(&call));
  Action byeAlice = *request(out, LegId::Transfer, sip::Method::Bye);

  // Alice's 200 to our BYE: the Transfer slot.
  PeerResponse ok;
  ok.toTag = {};
  m = table.find(*answer(byeAlice, ok));
  BOOST_TEST(m.call == &call);
  BOOST_TEST(m.leg == LegId::Transfer);
  // A retransmitted INVITE of Alice's (no To tag) too.
  m = table.find(*parseWire(callerInvite()));
  BOOST_TEST(m.leg == LegId::Transfer);
  // Carol's in-dialog request and her 2xx retransmission: the Inbound slot.
  const Dialog& carol = call.dialog(LegId::Inbound);
  std::string info = crlf(
      "INFO sip:sipd@10.0.0.1:5060 SIP/2.0\n"
      "Via: SIP/2.0/UDP 192.0.2.40:5080;branch=z9hG4bKcarolinfo\n"
      "From: <sip:3003@sipha.example.com>;tag=carol-tag\n"
      "To: <sip:2002@sipha.example.com>;tag=" +
      carol.localTag + "\nCall-ID: " + carol.callId + "\nCSeq: 2 INFO\nContent-Length: 0\n\n");
  m = table.find(*parseWire(info));
  BOOST_TEST(m.call == &call);
  BOOST_TEST(m.leg == LegId::Inbound);
  m = table.find(*carolOk);
  BOOST_TEST(m.leg == LegId::Inbound);
  // The retransmitted 2xx is answered with the same ACK from the slot Carol now has.
  out.clear();
  call.onResponse(m.leg, *carolOk, out);
  const Action* ackAgain = request(out, LegId::Inbound, sip::Method::Ack);
  BOOST_REQUIRE(ackAgain);
  BOOST_TEST(parseWire(ackAgain->bytes)->callId() == carol.callId);
  // Bob unchanged.
  BOOST_TEST(table.find(*parseWire(calleeRequest(call, "INFO", 3))).leg == LegId::Outbound);
  // A dialog named by its identifiers (RFC 3891 Replaces): exact tags only.
  const Dialog& bob = call.dialog(LegId::Outbound);
  m = table.findDialog(bob.callId, bob.localTag, bob.remoteTag);
  BOOST_TEST(m.call == &call);
  BOOST_TEST(m.leg == LegId::Outbound);
  m = table.findDialog(carol.callId, carol.localTag, carol.remoteTag);
  BOOST_TEST(m.leg == LegId::Inbound);
  BOOST_TEST(!table.findDialog(bob.callId, bob.localTag, "someone-else").call);
  BOOST_TEST(!table.findDialog(bob.callId, "not-ours", bob.remoteTag).call);
  BOOST_TEST(!table.findDialog("unknown", bob.localTag, bob.remoteTag).call);
  table.erase(&call);
  BOOST_TEST(table.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
