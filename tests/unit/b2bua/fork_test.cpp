// Parallel forking of a target group on the outbound leg (docs/b2bua.md "Forking"; RFC 3261
// 16.6 / 16.7 applied to the B2BUA's UAC side, RFC 3326 Reason, RFC 3262 PRACK per branch).
#include "b2bua/call.hpp"
#include "helpers.hpp"

namespace sipha::b2bua::test {
namespace {

// `count` registered contacts of one Extension with equal q (group 0), then `after` more
// targets, each a group of its own.
RouteDecision forkRoute(std::size_t count, std::size_t after = 0, bool hunt = true) {
  RouteDecision route;
  for (std::size_t i = 0; i < count + after; ++i) {
    Target t;
    t.requestUri = "sip:2002@192.0.2." + std::to_string(20 + i) + ":5070";
    t.flow = "udp:192.0.2." + std::to_string(20 + i) + ":5070";
    t.group = i < count ? 0 : static_cast<std::uint32_t>(i);
    t.huntOnFailure = hunt;
    route.targets.push_back(t);
  }
  return route;
}

std::vector<Action> invitesOf(const Output& out) {
  std::vector<Action> found;
  for (const Action& a : out.actions) {
    if (a.kind == ActionKind::SendRequest && a.leg == LegId::Outbound &&
        a.method == sip::Method::Invite) {
      found.push_back(a);
    }
  }
  return found;
}

std::vector<const Action*> cancelsOf(const Output& out) {
  std::vector<const Action*> found;
  for (const Action& a : out.actions) {
    if (a.kind == ActionKind::SendRequest && a.method == sip::Method::Cancel) found.push_back(&a);
  }
  return found;
}

PeerResponse ringing(std::string_view tag, std::uint16_t status = 180) {
  PeerResponse peer;
  peer.status = status;
  peer.reason = status == 180 ? "Ringing" : "Session Progress";
  peer.toTag = tag;
  peer.headers = {{"Contact", "<sip:2002@192.0.2.20:5070>"}};
  return peer;
}

PeerResponse finalOf(std::string_view tag, std::uint16_t status, std::string_view reason) {
  PeerResponse peer;
  peer.status = status;
  peer.reason = reason;
  peer.toTag = tag;
  return peer;
}

PeerResponse answered(std::string_view tag) {
  PeerResponse peer = CallFixture::ok200();
  peer.toTag = tag;
  return peer;
}

// A request from the callee of one branch, on its early dialog (From tag = the branch's).
std::string branchRequest(const Call& call, std::string_view method, std::uint32_t cseq,
                          std::string_view tag, std::string_view extra = {}) {
  const Dialog& d = call.dialog(LegId::Outbound);
  std::string text =
      std::string(method) + " sip:sipd@10.0.0.1:5060 SIP/2.0\n" +
      "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKbr" + std::string(tag) +
      "\nMax-Forwards: 70\nFrom: <sip:2002@sipha.example.com>;tag=" + std::string(tag) +
      "\nTo: " + d.localUri + ";tag=" + d.localTag + "\nCall-ID: " + d.callId +
      "\nCSeq: " + std::to_string(cseq) + " " + std::string(method) +
      "\nContact: <sip:2002@192.0.2.20:5070>\n" + std::string(extra) + "Content-Length: 0\n\n";
  return crlf(text);
}

std::vector<const Action*> inboundFinals(const Output& out) {
  std::vector<const Action*> found;
  for (const Action& a : out.actions) {
    if (a.kind == ActionKind::SendResponse && a.leg == LegId::Inbound && a.status >= 200) {
      found.push_back(&a);
    }
  }
  return found;
}

BOOST_AUTO_TEST_SUITE(call_fork)

BOOST_FIXTURE_TEST_CASE(equal_group_rings_every_branch_at_once, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  BOOST_REQUIRE_EQUAL(invites.size(), 2u);
  auto a = parseWire(invites[0].bytes);
  auto b = parseWire(invites[1].bytes);
  // One UAC: the same Call-ID and From tag, a CSeq and a Via branch per INVITE.
  BOOST_TEST(a->callId() == b->callId());
  BOOST_TEST(a->from().tag == b->from().tag);
  BOOST_TEST(a->cseq().number != b->cseq().number);
  BOOST_TEST(invites[0].branch != invites[1].branch);
  BOOST_TEST(a->requestUriText() == "sip:2002@192.0.2.20:5070");
  BOOST_TEST(b->requestUriText() == "sip:2002@192.0.2.21:5070");
  BOOST_TEST(invites[0].flow == "udp:192.0.2.20:5070");
  BOOST_TEST(invites[1].flow == "udp:192.0.2.21:5070");
  BOOST_TEST(a->body() == kOfferSdp);
  BOOST_TEST(b->body() == kOfferSdp);
  BOOST_TEST(call.openBranches() == 2u);
}

BOOST_FIXTURE_TEST_CASE(second_answers_first_the_other_is_cancelled_with_reason, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  BOOST_REQUIRE_EQUAL(invites.size(), 2u);
  respondOutbound(invites[0], ringing("phoneA"));
  const Action* first180 = response(out, LegId::Inbound, 180);
  BOOST_REQUIRE(first180);
  respondOutbound(invites[1], ringing("phoneB"));
  const Action* second180 = response(out, LegId::Inbound, 180);
  BOOST_REQUIRE(second180);
  // The caller sees one early dialog: both provisionals carry sipd's inbound tag.
  BOOST_TEST(parseWire(second180->bytes)->to().tag == call.dialog(LegId::Inbound).localTag);
  BOOST_TEST(call.state() == CallState::Early);

  respondOutbound(invites[1], answered("phoneB"));
  BOOST_TEST(call.state() == CallState::Answered);
  BOOST_REQUIRE(response(out, LegId::Inbound, 200));
  std::vector<const Action*> cancels = cancelsOf(out);
  BOOST_REQUIRE_EQUAL(cancels.size(), 1u);
  auto cancel = parseWire(cancels[0]->bytes);
  BOOST_TEST(cancels[0]->branch == invites[0].branch);  // 9.1: the INVITE's branch and CSeq
  BOOST_TEST(cancel->cseq().number == invites[0].cseq);
  BOOST_TEST(cancel->requestUriText() == "sip:2002@192.0.2.20:5070");
  BOOST_TEST(cancel->header(sip::HeaderId::Reason) ==
             "SIP;cause=200;text=\"Call completed elsewhere\"");
  BOOST_TEST(cancels[0]->flow == "udp:192.0.2.20:5070");
  BOOST_TEST(call.dialog(LegId::Outbound).remoteTag == "phoneB");
  BOOST_TEST(call.targetIndexFor(invites[1].cseq) == 1u);
  BOOST_TEST(out.events.empty());

  // The cancelled branch's 487 is absorbed (its ACK is the transaction layer's).
  respondOutbound(invites[0], finalOf("phoneA", 487, "Request Terminated"));
  BOOST_TEST(inboundFinals(out).empty());
  BOOST_TEST(actionsOf(out, ActionKind::TargetFailed).empty());
  BOOST_TEST(call.state() == CallState::Answered);

  // The caller's ACK releases ours to the winner; only its dialog is replicated.
  requestIn(LegId::Inbound, callerRequest(call, "ACK", 10, {}, {}, "z9hG4bKcallerack"));
  BOOST_TEST(call.state() == CallState::Confirmed);
  const Action* ack = request(out, LegId::Outbound, sip::Method::Ack);
  BOOST_REQUIRE(ack);
  BOOST_TEST(parseWire(ack->bytes)->to().tag == "phoneB");
  BOOST_TEST(parseWire(ack->bytes)->cseq().number == invites[1].cseq);
  BOOST_TEST(ack->flow == "udp:192.0.2.21:5070");
  BOOST_REQUIRE_EQUAL(out.events.size(), 2u);
  BOOST_TEST(out.events[1].leg == LegId::Outbound);
  BOOST_TEST(out.events[1].dialog.remoteTag == "phoneB");
  for (const StateEvent& e : out.events) BOOST_TEST(e.dialog.remoteTag != "phoneA");
}

BOOST_FIXTURE_TEST_CASE(answer_before_any_provisional_cancels_once_one_arrives, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  respondOutbound(invites[0], answered("phoneA"));
  BOOST_TEST(cancelsOf(out).empty());  // 9.1: no CANCEL before a provisional
  respondOutbound(invites[1], ringing("phoneB"));
  BOOST_TEST(!response(out, LegId::Inbound, 180));  // not relayed after the answer
  std::vector<const Action*> cancels = cancelsOf(out);
  BOOST_REQUIRE_EQUAL(cancels.size(), 1u);
  BOOST_TEST(
      parseWire(cancels[0]->bytes)->header(sip::HeaderId::Reason).starts_with("SIP;cause=200"));
}

BOOST_FIXTURE_TEST_CASE(every_branch_failing_relays_the_best_response, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  respondOutbound(invites[1], finalOf("phoneB", 486, "Busy Here"));
  BOOST_TEST(inboundFinals(out).empty());  // the other branch still rings
  std::vector<const Action*> failed = actionsOf(out, ActionKind::TargetFailed);
  BOOST_REQUIRE_EQUAL(failed.size(), 1u);
  BOOST_TEST(failed[0]->targetIndex == 1u);
  BOOST_TEST(!ended(out));
  respondOutbound(invites[0], finalOf("phoneA", 480, "Temporarily Unavailable"));
  std::vector<const Action*> finals = inboundFinals(out);
  BOOST_REQUIRE_EQUAL(finals.size(), 1u);
  BOOST_TEST(finals[0]->status == 486u);  // 16.7 step 6: the first of the lowest class
  BOOST_TEST(ended(out));
  BOOST_TEST(call.finalStatus() == 486u);
}

BOOST_FIXTURE_TEST_CASE(a_5xx_loses_to_a_4xx_across_branches, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  respondOutbound(invites[0], finalOf("phoneA", 500, "Server Internal Error"));
  respondOutbound(invites[1], finalOf("phoneB", 486, "Busy Here"));
  std::vector<const Action*> finals = inboundFinals(out);
  BOOST_REQUIRE_EQUAL(finals.size(), 1u);
  BOOST_TEST(finals[0]->status == 486u);
}

BOOST_FIXTURE_TEST_CASE(failed_group_starts_the_next_one, CallFixture) {
  startCall(callerInvite(), forkRoute(2, 1));
  std::vector<Action> invites = invitesOf(out);
  BOOST_REQUIRE_EQUAL(invites.size(), 2u);  // the third target waits for its group
  respondOutbound(invites[0], finalOf("phoneA", 486, "Busy Here"));
  BOOST_TEST(invitesOf(out).empty());
  respondOutbound(invites[1], finalOf("phoneB", 480, "Temporarily Unavailable"));
  BOOST_TEST(inboundFinals(out).empty());
  std::vector<Action> next = invitesOf(out);
  BOOST_REQUIRE_EQUAL(next.size(), 1u);
  BOOST_TEST(parseWire(next[0].bytes)->requestUriText() == "sip:2002@192.0.2.22:5070");
  BOOST_TEST(next[0].cseq > invites[1].cseq);
  BOOST_TEST(call.openBranches() == 0u);
  respondOutbound(next[0], ringing("phoneC"));
  respondOutbound(next[0], answered("phoneC"));
  BOOST_REQUIRE(response(out, LegId::Inbound, 200));
  BOOST_TEST(call.state() == CallState::Answered);
  BOOST_TEST(call.dialog(LegId::Outbound).remoteTag == "phoneC");
}

BOOST_FIXTURE_TEST_CASE(a_trunk_busy_ends_the_search_after_its_group, CallFixture) {
  // Without huntOnFailure (trunk-like targets) a 486 stops the search: group 1 never starts.
  startCall(callerInvite(), forkRoute(2, 1, false));
  std::vector<Action> invites = invitesOf(out);
  respondOutbound(invites[0], finalOf("gwA", 486, "Busy Here"));
  respondOutbound(invites[1], finalOf("gwB", 503, "Service Unavailable"));
  BOOST_TEST(invitesOf(out).empty());
  std::vector<const Action*> finals = inboundFinals(out);
  BOOST_REQUIRE_EQUAL(finals.size(), 1u);
  BOOST_TEST(finals[0]->status == 486u);
}

BOOST_FIXTURE_TEST_CASE(six_xx_on_one_branch_cancels_the_others_and_stops, CallFixture) {
  startCall(callerInvite(), forkRoute(3, 1));
  std::vector<Action> invites = invitesOf(out);
  BOOST_REQUIRE_EQUAL(invites.size(), 3u);
  respondOutbound(invites[0], ringing("phoneA"));
  respondOutbound(invites[1], finalOf("phoneB", 603, "Decline"));
  std::vector<const Action*> finals = inboundFinals(out);
  BOOST_REQUIRE_EQUAL(finals.size(), 1u);
  BOOST_TEST(finals[0]->status == 603u);
  std::vector<const Action*> cancels = cancelsOf(out);
  BOOST_REQUIRE_EQUAL(cancels.size(), 1u);  // phoneA rang; phoneC gets one when it does
  BOOST_TEST(cancels[0]->branch == invites[0].branch);
  BOOST_TEST(invitesOf(out).empty());  // 16.7 step 5: the next group never starts
  BOOST_TEST(call.state() == CallState::Cancelling);
  respondOutbound(invites[2], ringing("phoneC"));
  BOOST_REQUIRE_EQUAL(cancelsOf(out).size(), 1u);
  BOOST_TEST(cancelsOf(out)[0]->branch == invites[2].branch);
  BOOST_TEST(!response(out, LegId::Inbound, 180));
  respondOutbound(invites[0], finalOf("phoneA", 487, "Request Terminated"));
  BOOST_TEST(!ended(out));
  respondOutbound(invites[2], finalOf("phoneC", 487, "Request Terminated"));
  BOOST_TEST(ended(out));
  BOOST_TEST(inboundFinals(out).empty());
}

BOOST_FIXTURE_TEST_CASE(caller_cancel_cancels_every_branch, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  respondOutbound(invites[0], ringing("phoneA"));
  respondOutbound(invites[1], ringing("phoneB"));
  requestIn(LegId::Inbound, callerRequest(call, "CANCEL", 10, {}, {}, "z9hG4bKcaller1"));
  BOOST_TEST(response(out, LegId::Inbound, 200));
  BOOST_TEST(response(out, LegId::Inbound, 487));
  std::vector<const Action*> cancels = cancelsOf(out);
  BOOST_REQUIRE_EQUAL(cancels.size(), 2u);
  BOOST_TEST(cancels[0]->branch == invites[0].branch);
  BOOST_TEST(cancels[1]->branch == invites[1].branch);
  // Not "completed elsewhere": the caller gave up.
  BOOST_TEST(!parseWire(cancels[0]->bytes)->has(sip::HeaderId::Reason));
  respondOutbound(invites[0], finalOf("phoneA", 487, "Request Terminated"));
  BOOST_TEST(!ended(out));
  respondOutbound(invites[1], finalOf("phoneB", 487, "Request Terminated"));
  BOOST_TEST(ended(out));
  BOOST_TEST(call.finalStatus() == 487u);
}

BOOST_FIXTURE_TEST_CASE(late_2xx_of_the_cancelled_branch_is_acked_and_released, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  respondOutbound(invites[0], ringing("phoneA"));
  respondOutbound(invites[1], answered("phoneB"));
  BOOST_REQUIRE_EQUAL(cancelsOf(out).size(), 1u);
  // phoneA answered before our CANCEL reached it (13.2.2.4): ACK and BYE on its own dialog.
  PeerResponse late = answered("phoneA");
  late.headers = {{"Contact", "<sip:2002@192.0.2.20:5070>"}};
  respondOutbound(invites[0], late);
  const Action* ack = request(out, LegId::Outbound, sip::Method::Ack);
  const Action* bye = request(out, LegId::Outbound, sip::Method::Bye);
  BOOST_REQUIRE(ack);
  BOOST_REQUIRE(bye);
  BOOST_TEST(parseWire(ack->bytes)->to().tag == "phoneA");
  BOOST_TEST(parseWire(ack->bytes)->cseq().number == invites[0].cseq);
  BOOST_TEST(parseWire(bye->bytes)->to().tag == "phoneA");
  BOOST_TEST(bye->flow == "udp:192.0.2.20:5070");
  BOOST_TEST(inboundFinals(out).empty());
  BOOST_TEST(call.state() == CallState::Answered);  // the winner's call is untouched
  BOOST_TEST(call.dialog(LegId::Outbound).remoteTag == "phoneB");
}

BOOST_FIXTURE_TEST_CASE(reliable_provisionals_and_prack_per_branch, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  PeerResponse a183 = ringing("phoneA", 183);
  a183.headers.push_back({"Require", "100rel"});
  a183.headers.push_back({"RSeq", "1"});
  a183.contentType = "application/sdp";
  a183.body = kAnswerSdp;
  respondOutbound(invites[0], a183);
  const Action* relayedA = response(out, LegId::Inbound, 183);
  BOOST_REQUIRE(relayedA);
  BOOST_TEST(parseWire(relayedA->bytes)->body() == kAnswerSdp);  // the first early SDP

  PeerResponse b183 = ringing("phoneB", 183);
  b183.headers.push_back({"Require", "100rel"});
  b183.headers.push_back({"RSeq", "5"});
  b183.contentType = "application/sdp";
  b183.body = "v=0\r\no=carol 3 3 IN IP4 192.0.2.21\r\ns=-\r\nt=0 0\r\n";
  respondOutbound(invites[1], b183);
  const Action* relayedB = response(out, LegId::Inbound, 183);
  BOOST_REQUIRE(relayedB);
  auto rb = parseWire(relayedB->bytes);
  BOOST_TEST(rb->body().empty());  // one early dialog, one early session: the first branch's
  BOOST_TEST(rb->header(sip::HeaderId::RSeq) == "5");

  // PRACK for branch 2's provisional: to phoneB, RAck on phoneB's INVITE CSeq (RFC 3262 7.2).
  requestIn(LegId::Inbound, callerRequest(call, "PRACK", 11, "RAck: 5 10 INVITE\n"), 31);
  const Action* prackB = request(out, LegId::Outbound, sip::Method::Prack);
  BOOST_REQUIRE(prackB);
  auto pb = parseWire(prackB->bytes);
  BOOST_TEST(pb->to().tag == "phoneB");
  BOOST_TEST(pb->header(sip::HeaderId::RAck) == "5 " + std::to_string(invites[1].cseq) + " INVITE");
  BOOST_TEST(prackB->flow == "udp:192.0.2.21:5070");
  respondOutbound(*prackB, finalOf("phoneB", 200, "OK"));
  const Action* prackOk = response(out, LegId::Inbound, 200);
  BOOST_REQUIRE(prackOk);
  BOOST_TEST(prackOk->server == 31u);

  // PRACK for branch 1's: to phoneA, on phoneA's INVITE CSeq.
  requestIn(LegId::Inbound,
            callerRequest(call, "PRACK", 12, "RAck: 1 10 INVITE\n", {}, "z9hG4bKcaller3"), 32);
  const Action* prackA = request(out, LegId::Outbound, sip::Method::Prack);
  BOOST_REQUIRE(prackA);
  auto pa = parseWire(prackA->bytes);
  BOOST_TEST(pa->to().tag == "phoneA");
  BOOST_TEST(pa->header(sip::HeaderId::RAck) == "1 " + std::to_string(invites[0].cseq) + " INVITE");
  BOOST_TEST(pa->cseq().number > pb->cseq().number);  // one CSeq space for the UAC
}

BOOST_FIXTURE_TEST_CASE(update_on_a_branch_early_dialog_is_relayed_and_answered, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  respondOutbound(invites[0], ringing("phoneA"));
  respondOutbound(invites[1], ringing("phoneB"));
  // phoneA (not the last to ring) sends an in-dialog request on its early dialog.
  requestIn(LegId::Outbound, branchRequest(call, "UPDATE", 1, "phoneA"), 41);
  const Action* info = request(out, LegId::Inbound, sip::Method::Update);
  BOOST_REQUIRE(info);
  BOOST_TEST(!response(out, LegId::Outbound, 481));
  respondInbound(*info, finalOf("alice-tag", 200, "OK"));
  const Action* ok = response(out, LegId::Outbound, 200);
  BOOST_REQUIRE(ok);
  BOOST_TEST(ok->server == 41u);
  BOOST_TEST(parseWire(ok->bytes)->from().tag == "phoneA");
  // A tag no branch has: 481.
  requestIn(LegId::Outbound, branchRequest(call, "INFO", 2, "stranger"), 42);
  BOOST_TEST(response(out, LegId::Outbound, 481));
}

BOOST_FIXTURE_TEST_CASE(caller_request_after_the_selected_branch_failed_goes_on, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  respondOutbound(invites[0], ringing("phoneA"));
  respondOutbound(invites[1], ringing("phoneB"));  // phoneB is the selected branch now
  respondOutbound(invites[1], finalOf("phoneB", 486, "Busy Here"));
  BOOST_TEST(inboundFinals(out).empty());
  requestIn(LegId::Inbound, callerRequest(call, "INFO", 11), 51);
  const Action* info = request(out, LegId::Outbound, sip::Method::Info);
  BOOST_REQUIRE(info);
  BOOST_TEST(parseWire(info->bytes)->to().tag == "phoneA");  // the branch still ringing
  BOOST_TEST(info->flow == "udp:192.0.2.20:5070");
}

BOOST_FIXTURE_TEST_CASE(group_no_answer_timeout_cancels_the_group_and_moves_on, CallFixture) {
  RouteDecision route = forkRoute(2, 1);
  route.targets[0].noAnswerTimeout = Duration{20000};
  route.targets[1].noAnswerTimeout = Duration{20000};
  startCall(callerInvite(), route);
  std::vector<Action> invites = invitesOf(out);
  BOOST_REQUIRE(timer(out, ActionKind::StartTimer, TimerKind::NoAnswer, LegId::Outbound));
  BOOST_TEST(actionsOf(out, ActionKind::StartTimer).size() == 1u);  // one timer for the group
  respondOutbound(invites[0], ringing("phoneA"));
  out.clear();
  call.onTimer(TimerId{TimerKind::NoAnswer, LegId::Outbound}, out);
  std::vector<const Action*> cancels = cancelsOf(out);
  BOOST_REQUIRE_EQUAL(cancels.size(), 1u);  // phoneB never rang: cancelled when it does
  BOOST_TEST(cancels[0]->branch == invites[0].branch);
  BOOST_TEST(actionsOf(out, ActionKind::TargetFailed).empty());
  std::vector<Action> next = invitesOf(out);
  BOOST_REQUIRE_EQUAL(next.size(), 1u);
  BOOST_TEST(parseWire(next[0].bytes)->requestUriText() == "sip:2002@192.0.2.22:5070");
  respondOutbound(invites[1], ringing("phoneB"));
  BOOST_REQUIRE_EQUAL(cancelsOf(out).size(), 1u);
  BOOST_TEST(!response(out, LegId::Inbound, 180));  // an abandoned branch is not relayed
  respondOutbound(invites[0], finalOf("phoneA", 487, "Request Terminated"));
  BOOST_TEST(inboundFinals(out).empty());
  respondOutbound(next[0], answered("phoneC"));
  BOOST_TEST(call.state() == CallState::Answered);
}

BOOST_FIXTURE_TEST_CASE(timeout_of_one_branch_waits_for_the_other, CallFixture) {
  startCall(callerInvite(), forkRoute(2));
  std::vector<Action> invites = invitesOf(out);
  out.clear();
  call.onClientTimeout(invites[0].clientRef(), out);
  std::vector<const Action*> failed = actionsOf(out, ActionKind::TargetFailed);
  BOOST_REQUIRE_EQUAL(failed.size(), 1u);
  BOOST_TEST(failed[0]->status == 408u);
  BOOST_TEST(inboundFinals(out).empty());
  respondOutbound(invites[1], answered("phoneB"));
  BOOST_TEST(call.state() == CallState::Answered);
  BOOST_TEST(cancelsOf(out).empty());
}

BOOST_FIXTURE_TEST_CASE(single_target_groups_do_not_fork, CallFixture) {
  RouteDecision route = forkRoute(0, 2);  // two groups of one
  startCall(callerInvite(), route);
  BOOST_TEST(invitesOf(out).size() == 1u);
  BOOST_TEST(call.openBranches() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
