// The initial INVITE through the call state machine: relay, targets and failover, CANCEL,
// 2xx/ACK handling (RFC 3261 13, 16.7, 9), Max-Forwards.
#include "b2bua/call.hpp"

#include "helpers.hpp"

namespace sipha::b2bua::test {
namespace {

BOOST_AUTO_TEST_SUITE(call_invite)

BOOST_FIXTURE_TEST_CASE(basic_call_relays_each_step, CallFixture) {
  Action invite = startCall();
  BOOST_TEST(call.state() == CallState::Routing);
  // 100 Trying on the caller's transaction, without a To tag.
  const Action* trying = response(out, LegId::Inbound, 100);
  BOOST_REQUIRE(trying);
  BOOST_TEST(trying->server == 1u);
  BOOST_TEST(parseWire(trying->bytes)->to().tag.empty());

  // The outbound INVITE: its own Call-ID, From tag, CSeq space; our Via and Contact only.
  BOOST_REQUIRE(invite.kind == ActionKind::SendRequest);
  BOOST_TEST(invite.startsTransaction());
  BOOST_TEST(invite.nextHop == "sip:2002@192.0.2.20:5070");
  BOOST_TEST(invite.transport == "UDP");
  auto sent = parseWire(invite.bytes);
  BOOST_TEST(sent->requestUriText() == "sip:2002@192.0.2.20:5070");
  BOOST_TEST(sent->callId() != "in-call-1@192.0.2.10");
  BOOST_TEST(sent->callId() == call.dialog(LegId::Outbound).callId);
  BOOST_TEST(sent->from().tag != "alice-tag");
  BOOST_TEST(sent->from().displayName == "Alice");
  BOOST_TEST(sent->from().uri == "sip:2001@sipha.example.com");
  BOOST_TEST(sent->to().uri == "sip:2002@sipha.example.com");
  BOOST_TEST(sent->to().tag.empty());
  BOOST_TEST(sent->vias().size() == 1u);
  BOOST_TEST(sent->topVia().host == "10.0.0.1");
  BOOST_TEST(sent->topVia().branch == invite.branch);
  BOOST_TEST(sent->header(sip::HeaderId::Contact) == "<sip:sipd@10.0.0.1:5060>");
  BOOST_TEST(!sent->has(sip::HeaderId::RecordRoute));
  BOOST_TEST(!sent->has(sip::HeaderId::UserAgent));
  BOOST_TEST(sent->maxForwards().value() == 69u);  // decremented
  BOOST_TEST(sent->body() == kOfferSdp);
  BOOST_TEST(sent->header(sip::HeaderId::ContentType) == "application/sdp");
  // RFC 4028 passed through.
  BOOST_TEST(sent->header(sip::HeaderId::SessionExpires) == "1800;refresher=uac");
  BOOST_TEST(sent->header(sip::HeaderId::Supported) == "timer, 100rel");
  BOOST_TEST(invite.cseq == sent->cseq().number);

  // 180 with a tag: early dialog outbound, relayed with our tag and Contact.
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  ringing.headers = {{"Contact", "<sip:2002@192.0.2.20:5070>"}};
  respondOutbound(invite, ringing);
  BOOST_TEST(call.state() == CallState::Early);
  BOOST_TEST(call.dialog(LegId::Outbound).state == DialogState::Early);
  BOOST_TEST(call.dialog(LegId::Outbound).remoteTag == "callee");
  const Action* relayed180 = response(out, LegId::Inbound, 180);
  BOOST_REQUIRE(relayed180);
  auto r180 = parseWire(relayed180->bytes);
  BOOST_TEST(r180->to().tag == call.dialog(LegId::Inbound).localTag);
  BOOST_TEST(r180->header(sip::HeaderId::Contact) == "<sip:sipd@10.0.0.1:5060>");
  BOOST_TEST(r180->callId() == "in-call-1@192.0.2.10");
  BOOST_TEST(r180->topVia().branch == "z9hG4bKcaller1");
  BOOST_TEST(r180->cseq().number == 10u);
  BOOST_TEST(r180->header(sip::HeaderId::RecordRoute) == "<sip:edge1.example.com;lr>");

  // 200 relayed with the answer; retransmission timers armed; no ACK yet.
  respondOutbound(invite, ok200());
  BOOST_TEST(call.state() == CallState::Answered);
  const Action* relayed200 = response(out, LegId::Inbound, 200);
  BOOST_REQUIRE(relayed200);
  auto r200 = parseWire(relayed200->bytes);
  BOOST_TEST(r200->body() == kAnswerSdp);
  BOOST_TEST(r200->header(sip::HeaderId::Require) == "timer");
  BOOST_TEST(r200->header(sip::HeaderId::SessionExpires) == "1800;refresher=uac");
  // 12.1.1: the caller's Record-Route copied (its proxy stays in the path), never the callee's.
  BOOST_TEST(valuesOf(*r200, sip::HeaderId::RecordRoute) ==
                 std::vector<std::string_view>{"<sip:edge1.example.com;lr>"},
             boost::test_tools::per_element());
  BOOST_TEST(r200->header(sip::HeaderId::Contact) == "<sip:sipd@10.0.0.1:5060>");
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Ack));
  const Action* t = timer(out, ActionKind::StartTimer, TimerKind::Retransmit2xx, LegId::Inbound);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->delay.count() == 500);
  const Action* ackTimeout =
      timer(out, ActionKind::StartTimer, TimerKind::AckTimeout, LegId::Inbound);
  BOOST_REQUIRE(ackTimeout);
  BOOST_TEST(ackTimeout->delay.count() == 32000);
  BOOST_TEST(out.events.empty());  // not replicated before the ACK

  // The caller's ACK releases ours (13.2.2.4): CSeq of the INVITE, dialog route set.
  requestIn(LegId::Inbound, callerRequest(call, "ACK", 10, {}, {}, "z9hG4bKcallerack"));
  BOOST_TEST(call.state() == CallState::Confirmed);
  const Action* ack = request(out, LegId::Outbound, sip::Method::Ack);
  BOOST_REQUIRE(ack);
  BOOST_TEST(!ack->startsTransaction());
  auto a = parseWire(ack->bytes);
  BOOST_TEST(a->cseq().number == invite.cseq);
  BOOST_TEST(a->requestUriText() == "sip:2002@192.0.2.20:5070");
  BOOST_TEST(a->header(sip::HeaderId::Route) == "<sip:gw-edge.example.com;lr>");
  BOOST_TEST(a->to().tag == "callee");
  BOOST_TEST(a->topVia().branch != invite.branch);
  BOOST_TEST(ack->nextHop == "sip:gw-edge.example.com;lr");
  BOOST_TEST(timer(out, ActionKind::CancelTimer, TimerKind::Retransmit2xx, LegId::Inbound));
  BOOST_TEST(timer(out, ActionKind::CancelTimer, TimerKind::AckTimeout, LegId::Inbound));
  // Both dialogs replicated, in order.
  BOOST_REQUIRE_EQUAL(out.events.size(), 2u);
  BOOST_TEST(out.events[0].sequence == 1u);
  BOOST_TEST(out.events[0].leg == LegId::Inbound);
  BOOST_TEST(out.events[1].sequence == 2u);
  BOOST_TEST(out.events[1].dialog.state == DialogState::Confirmed);
  BOOST_TEST(call.dialog(LegId::Inbound).state == DialogState::Confirmed);

  // BYE from the caller: 200 at once, BYE on the outbound leg, end on its answer.
  requestIn(LegId::Inbound, callerRequest(call, "BYE", 11), 9);
  const Action* byeOk = response(out, LegId::Inbound, 200);
  BOOST_REQUIRE(byeOk);
  BOOST_TEST(byeOk->server == 9u);
  const Action* bye = request(out, LegId::Outbound, sip::Method::Bye);
  BOOST_REQUIRE(bye);
  auto b = parseWire(bye->bytes);
  BOOST_TEST(b->cseq().number == invite.cseq + 1);
  BOOST_TEST(b->callId() == sent->callId());
  BOOST_TEST(call.state() == CallState::Terminating);
  BOOST_TEST(!ended(out));
  BOOST_REQUIRE_EQUAL(out.events.size(), 1u);
  BOOST_TEST(out.events[0].kind == StateEventKind::CallEnded);
  BOOST_TEST(out.events[0].sequence == 3u);
  respondOutbound(*bye, PeerResponse{});
  BOOST_TEST(ended(out));
  BOOST_TEST(call.ended());
  BOOST_TEST(call.finalStatus() == 200u);
}

BOOST_FIXTURE_TEST_CASE(bye_from_the_callee, CallFixture) {
  Action invite = establish();
  requestIn(LegId::Outbound, calleeRequest(call, "BYE", 1), 21);
  const Action* ok = response(out, LegId::Outbound, 200);
  BOOST_REQUIRE(ok);
  BOOST_TEST(ok->server == 21u);
  const Action* bye = request(out, LegId::Inbound, sip::Method::Bye);
  BOOST_REQUIRE(bye);
  auto b = parseWire(bye->bytes);
  // Toward the caller: its Contact, its Record-Route, our tags, our first CSeq on that leg.
  BOOST_TEST(b->requestUriText() == "sip:2001@192.0.2.10:5060");
  BOOST_TEST(b->header(sip::HeaderId::Route) == "<sip:edge1.example.com;lr>");
  BOOST_TEST(b->callId() == "in-call-1@192.0.2.10");
  BOOST_TEST(b->from().tag == call.dialog(LegId::Inbound).localTag);
  BOOST_TEST(b->to().tag == "alice-tag");
  BOOST_TEST(b->cseq().number == 1u);
  BOOST_TEST(bye->nextHop == "sip:edge1.example.com;lr");
  // A timeout of our BYE ends the call too.
  ClientRef byeRef = bye->clientRef();
  out.clear();
  call.onClientTimeout(byeRef, out);
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(failover_on_503_then_answer, CallFixture) {
  Action first = startCall();
  PeerResponse busy;
  busy.status = 503;
  busy.reason = "Service Unavailable";
  respondOutbound(first, busy);
  auto failed = actionsOf(out, ActionKind::TargetFailed);
  BOOST_REQUIRE_EQUAL(failed.size(), 1u);
  BOOST_TEST(failed[0]->targetIndex == 0u);
  BOOST_TEST(failed[0]->status == 503u);
  const Action* second = request(out, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(second);
  BOOST_TEST(second->nextHop == "sip:192.0.2.30:5070;transport=tcp");
  BOOST_TEST(second->transport == "TCP");
  BOOST_TEST(call.targetIndex() == 1u);
  auto s = parseWire(second->bytes);
  BOOST_TEST(s->requestUriText() == "sip:2002@192.0.2.30:5070");
  BOOST_TEST(s->cseq().number == first.cseq + 1);
  BOOST_TEST(s->topVia().transport == "TCP");
  BOOST_TEST(!response(out, LegId::Inbound, 503));
  respondOutbound(*second, ok200());
  BOOST_TEST(response(out, LegId::Inbound, 200));
  BOOST_TEST(call.state() == CallState::Answered);
}

BOOST_FIXTURE_TEST_CASE(failover_on_timeout, CallFixture) {
  Action first = startCall();
  out.clear();
  call.onClientTimeout(first.clientRef(), out);
  auto failed = actionsOf(out, ActionKind::TargetFailed);
  BOOST_REQUIRE_EQUAL(failed.size(), 1u);
  BOOST_TEST(failed[0]->status == 408u);
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Invite));
  BOOST_TEST(call.targetIndex() == 1u);
}

BOOST_FIXTURE_TEST_CASE(six_xx_stops_the_search, CallFixture) {
  Action first = startCall();
  PeerResponse decline;
  decline.status = 603;
  decline.reason = "Decline";
  respondOutbound(first, decline);
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Invite));
  const Action* relayed = response(out, LegId::Inbound, 603);
  BOOST_REQUIRE(relayed);
  BOOST_TEST(parseWire(relayed->bytes)->to().tag == call.dialog(LegId::Inbound).localTag);
  BOOST_TEST(ended(out));
  BOOST_TEST(call.finalStatus() == 603u);
}

BOOST_FIXTURE_TEST_CASE(busy_is_relayed_not_retried, CallFixture) {
  Action first = startCall();
  PeerResponse busy;
  busy.status = 486;
  busy.reason = "Busy Here";
  busy.headers = {{"Warning", "399 gw \"all lines busy\""}};
  respondOutbound(first, busy);
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Invite));
  const Action* relayed = response(out, LegId::Inbound, 486);
  BOOST_REQUIRE(relayed);
  BOOST_TEST(parseWire(relayed->bytes)->header(sip::HeaderId::Warning) ==
             "399 gw \"all lines busy\"");
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(exhausted_targets_answer_the_best_response, CallFixture) {
  Action first = startCall();
  PeerResponse err;
  err.status = 500;
  err.reason = "Server Internal Error";
  respondOutbound(first, err);
  const Action* second = request(out, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(second);
  Action secondCopy = *second;
  out.clear();
  call.onClientTimeout(secondCopy.clientRef(), out);
  // 16.7 step 6: the lowest class wins: 408 (4xx) over 500.
  BOOST_TEST(response(out, LegId::Inbound, 408));
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(all_503_become_500, CallFixture) {
  Action first = startCall();
  PeerResponse busy;
  busy.status = 503;
  busy.reason = "Service Unavailable";
  respondOutbound(first, busy);
  Action second = *request(out, LegId::Outbound, sip::Method::Invite);
  respondOutbound(second, busy);
  BOOST_TEST(!response(out, LegId::Inbound, 503));
  BOOST_TEST(response(out, LegId::Inbound, 500));  // 16.7 step 6
  BOOST_TEST(actionsOf(out, ActionKind::TargetFailed).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(no_target_answers_the_routing_status, CallFixture) {
  RouteDecision none;
  none.failureStatus = 404;
  none.failureReason = "Not Found";
  Action invite = startCall(callerInvite(), none);
  BOOST_TEST(invite.bytes.empty());
  BOOST_TEST(response(out, LegId::Inbound, 100));
  BOOST_TEST(response(out, LegId::Inbound, 404));
  BOOST_TEST(ended(out));
}

// sipd's own 503 (routing: every contact of the matching trunks out of service) is answered as
// 503 with Retry-After; only a 503 received from a target becomes 500 (16.7 step 6, above).
BOOST_FIXTURE_TEST_CASE(routing_own_503_is_503_with_retry_after, CallFixture) {
  RouteDecision none;
  none.failureStatus = 503;
  none.failureReason = "Service Unavailable";
  none.retryAfterSeconds = 45;
  Action invite = startCall(callerInvite(), none);
  BOOST_TEST(invite.bytes.empty());
  BOOST_TEST(!response(out, LegId::Inbound, 500));
  const Action* sent = response(out, LegId::Inbound, 503);
  BOOST_REQUIRE(sent);
  auto message = parseWire(sent->bytes);
  BOOST_TEST(message->reason() == "Service Unavailable");
  BOOST_TEST(message->header(sip::HeaderId::RetryAfter) == "45");
  BOOST_TEST(!message->to().tag.empty());
  BOOST_TEST(call.finalStatus() == 503u);
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(received_503_still_has_no_retry_after_upstream, CallFixture) {
  RouteDecision one = twoTargets();
  one.targets.resize(1);
  Action first = startCall(callerInvite(), one);
  PeerResponse busy;
  busy.status = 503;
  busy.reason = "Service Unavailable";
  busy.headers = {{"Retry-After", "120"}};
  respondOutbound(first, busy);
  const Action* sent = response(out, LegId::Inbound, 500);
  BOOST_REQUIRE(sent);
  BOOST_TEST(!response(out, LegId::Inbound, 503));
  auto message = parseWire(sent->bytes);
  BOOST_TEST(!message->has(sip::HeaderId::RetryAfter));
}

BOOST_FIXTURE_TEST_CASE(max_forwards_zero_is_483, CallFixture) {
  Action invite = startCall(callerInvite(kOfferSdp, {}, "0"));
  BOOST_TEST(invite.bytes.empty());
  BOOST_TEST(response(out, LegId::Inbound, 483));
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(cancel_after_ringing, CallFixture) {
  Action invite = startCall();
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  respondOutbound(invite, ringing);
  std::string cancel = callerInvite({});
  cancel = crlf(
      "CANCEL sip:2002@sipha.example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller1;rport\n"
      "Max-Forwards: 70\n"
      "From: \"Alice\" <sip:2001@sipha.example.com>;tag=alice-tag\n"
      "To: <sip:2002@sipha.example.com>\n"
      "Call-ID: in-call-1@192.0.2.10\n"
      "CSeq: 10 CANCEL\n"
      "Content-Length: 0\n\n");
  requestIn(LegId::Inbound, cancel, 3);
  const Action* cancelOk = response(out, LegId::Inbound, 200);
  BOOST_REQUIRE(cancelOk);
  BOOST_TEST(cancelOk->server == 3u);
  const Action* terminated = response(out, LegId::Inbound, 487);
  BOOST_REQUIRE(terminated);
  BOOST_TEST(terminated->server == 1u);
  // 9.1: same branch, CSeq number, Request-URI and To (without the early tag) as the INVITE.
  const Action* out487 = request(out, LegId::Outbound, sip::Method::Cancel);
  BOOST_REQUIRE(out487);
  BOOST_TEST(out487->branch == invite.branch);
  auto c = parseWire(out487->bytes);
  auto i = parseWire(invite.bytes);
  BOOST_TEST(c->cseq().number == i->cseq().number);
  BOOST_TEST(c->requestUriText() == i->requestUriText());
  BOOST_TEST(c->toText() == i->toText());
  BOOST_TEST(c->fromText() == i->fromText());
  BOOST_TEST(call.state() == CallState::Cancelling);
  BOOST_TEST(!ended(out));
  BOOST_TEST(timer(out, ActionKind::StartTimer, TimerKind::CancelGuard, LegId::Outbound));
  // The callee's 487 ends the call.
  PeerResponse reqTerminated;
  reqTerminated.status = 487;
  reqTerminated.reason = "Request Terminated";
  respondOutbound(invite, reqTerminated);
  BOOST_TEST(ended(out));
  BOOST_TEST(timer(out, ActionKind::CancelTimer, TimerKind::CancelGuard, LegId::Outbound));
  BOOST_TEST(call.finalStatus() == 487u);
}

BOOST_FIXTURE_TEST_CASE(cancel_before_any_provisional_waits_for_one, CallFixture) {
  Action invite = startCall();
  requestIn(LegId::Inbound,
            crlf("CANCEL sip:2002@sipha.example.com SIP/2.0\n"
                 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller1\n"
                 "Max-Forwards: 70\n"
                 "From: <sip:2001@sipha.example.com>;tag=alice-tag\n"
                 "To: <sip:2002@sipha.example.com>\n"
                 "Call-ID: in-call-1@192.0.2.10\n"
                 "CSeq: 10 CANCEL\nContent-Length: 0\n\n"),
            3);
  BOOST_TEST(response(out, LegId::Inbound, 487));
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Cancel));  // 9.1: not yet
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  respondOutbound(invite, ringing);
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Cancel));
  BOOST_TEST(!response(out, LegId::Inbound, 180));  // nothing more toward the caller
  // If the callee answers anyway: ACK and BYE it (15).
  respondOutbound(invite, ok200());
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Ack));
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Bye));
  BOOST_TEST(!response(out, LegId::Inbound, 200));
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(cancel_guard_gives_up, CallFixture) {
  Action invite = startCall();
  requestIn(LegId::Inbound,
            crlf("CANCEL sip:2002@sipha.example.com SIP/2.0\n"
                 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller1\n"
                 "From: <sip:2001@sipha.example.com>;tag=alice-tag\n"
                 "To: <sip:2002@sipha.example.com>\n"
                 "Call-ID: in-call-1@192.0.2.10\n"
                 "CSeq: 10 CANCEL\nContent-Length: 0\n\n"),
            3);
  BOOST_TEST(!ended(out));
  out.clear();
  call.onTimer(TimerId{TimerKind::CancelGuard, LegId::Outbound}, out);
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(delayed_offer, CallFixture) {
  Action invite = startCall(callerInvite({}));
  auto sent = parseWire(invite.bytes);
  BOOST_TEST(sent->body().empty());
  BOOST_TEST(!sent->has(sip::HeaderId::ContentType));
  // The offer comes in the 200 ...
  respondOutbound(invite, ok200(kOfferSdp));
  const Action* r200 = response(out, LegId::Inbound, 200);
  BOOST_REQUIRE(r200);
  BOOST_TEST(parseWire(r200->bytes)->body() == kOfferSdp);
  // ... and the answer in the caller's ACK goes into ours.
  requestIn(LegId::Inbound, callerRequest(call, "ACK", 10, {}, kAnswerSdp, "z9hG4bKcallerack"));
  const Action* ack = request(out, LegId::Outbound, sip::Method::Ack);
  BOOST_REQUIRE(ack);
  auto a = parseWire(ack->bytes);
  BOOST_TEST(a->body() == kAnswerSdp);
  BOOST_TEST(a->header(sip::HeaderId::ContentType) == "application/sdp");
  BOOST_TEST(call.dialog(LegId::Outbound).localSdp == kAnswerSdp);
  BOOST_TEST(call.dialog(LegId::Inbound).remoteSdp == kAnswerSdp);
}

BOOST_FIXTURE_TEST_CASE(two_xx_retransmitted_until_ack_then_bye, CallFixture) {
  Action invite = startCall();
  respondOutbound(invite, ok200());
  std::string first = response(out, LegId::Inbound, 200)->bytes;
  // 13.3.1.4: T1, 2T1, 4T1, ... capped at T2.
  const std::int64_t expected[] = {1000, 2000, 4000, 4000};
  for (std::int64_t next : expected) {
    out.clear();
    call.onTimer(TimerId{TimerKind::Retransmit2xx, LegId::Inbound}, out);
    const Action* again = response(out, LegId::Inbound, 200);
    BOOST_REQUIRE(again);
    BOOST_TEST(again->bytes == first);
    BOOST_TEST(again->server == 1u);
    const Action* rearm =
        timer(out, ActionKind::StartTimer, TimerKind::Retransmit2xx, LegId::Inbound);
    BOOST_REQUIRE(rearm);
    BOOST_TEST(rearm->delay.count() == next);
  }
  // A retransmitted 2xx from the callee meanwhile: our ACK waits for the caller's.
  respondOutbound(invite, ok200());
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Ack));
  // 64*T1 without ACK: ACK the callee, then BYE both sides.
  out.clear();
  call.onTimer(TimerId{TimerKind::AckTimeout, LegId::Inbound}, out);
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Ack));
  const Action* byeOut = request(out, LegId::Outbound, sip::Method::Bye);
  const Action* byeIn = request(out, LegId::Inbound, sip::Method::Bye);
  BOOST_REQUIRE(byeOut);
  BOOST_REQUIRE(byeIn);
  BOOST_TEST(timer(out, ActionKind::CancelTimer, TimerKind::Retransmit2xx, LegId::Inbound));
  BOOST_TEST(call.state() == CallState::Terminating);
  Action in = *byeIn;
  respondOutbound(*byeOut, PeerResponse{});
  BOOST_TEST(!ended(out));
  respondInbound(in, PeerResponse{});
  BOOST_TEST(ended(out));
  // A late timer does nothing.
  out.clear();
  call.onTimer(TimerId{TimerKind::Retransmit2xx, LegId::Inbound}, out);
  BOOST_TEST(out.actions.empty());
}

BOOST_FIXTURE_TEST_CASE(retransmitted_2xx_after_ack_gets_the_same_ack, CallFixture) {
  Action invite = establish();
  std::string ack = request(out, LegId::Outbound, sip::Method::Ack)->bytes;
  respondOutbound(invite, ok200());
  const Action* again = request(out, LegId::Outbound, sip::Method::Ack);
  BOOST_REQUIRE(again);
  BOOST_TEST(again->bytes == ack);
  BOOST_TEST(out.actions.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_second_forks_2xx_is_acked_and_released, CallFixture) {
  Action invite = establish();
  PeerResponse other = ok200();
  other.toTag = "fork2";
  respondOutbound(invite, other);
  const Action* ack = request(out, LegId::Outbound, sip::Method::Ack);
  const Action* bye = request(out, LegId::Outbound, sip::Method::Bye);
  BOOST_REQUIRE(ack);
  BOOST_REQUIRE(bye);
  BOOST_TEST(parseWire(bye->bytes)->to().tag == "fork2");
  BOOST_TEST(parseWire(ack->bytes)->cseq().number == invite.cseq);
  BOOST_TEST(call.state() == CallState::Confirmed);  // the call itself is untouched
}

BOOST_FIXTURE_TEST_CASE(no_answer_timeout_moves_to_the_next_target, CallFixture) {
  RouteDecision route = twoTargets();
  route.targets[0].noAnswerTimeout = Duration{15000};
  Action first = startCall(callerInvite(), route);
  const Action* armed = timer(out, ActionKind::StartTimer, TimerKind::NoAnswer, LegId::Outbound);
  BOOST_REQUIRE(armed);
  BOOST_TEST(armed->delay.count() == 15000);
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  respondOutbound(first, ringing);
  out.clear();
  call.onTimer(TimerId{TimerKind::NoAnswer, LegId::Outbound}, out);
  const Action* cancel = request(out, LegId::Outbound, sip::Method::Cancel);
  BOOST_REQUIRE(cancel);
  BOOST_TEST(cancel->branch == first.branch);
  const Action* second = request(out, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(second);
  BOOST_TEST(actionsOf(out, ActionKind::TargetFailed).empty());  // not a trunk failure
  // The first target's 487 is the end of an abandoned attempt: nothing toward the caller.
  PeerResponse terminated;
  terminated.status = 487;
  terminated.reason = "Request Terminated";
  respondOutbound(first, terminated);
  BOOST_TEST(actionsOf(out, ActionKind::SendResponse).empty());
  BOOST_TEST(call.state() == CallState::Early);
}

BOOST_FIXTURE_TEST_CASE(redirect_keeps_its_contacts, CallFixture) {
  Action first = startCall();
  PeerResponse moved;
  moved.status = 302;
  moved.reason = "Moved Temporarily";
  moved.headers = {{"Contact", "<sip:2002@198.51.100.9>"}};
  respondOutbound(first, moved);
  const Action* relayed = response(out, LegId::Inbound, 302);
  BOOST_REQUIRE(relayed);
  BOOST_TEST(parseWire(relayed->bytes)->header(sip::HeaderId::Contact) ==
             "<sip:2002@198.51.100.9>");
}

BOOST_FIXTURE_TEST_CASE(requests_after_the_end_get_481, CallFixture) {
  Action first = startCall();
  PeerResponse decline;
  decline.status = 603;
  decline.reason = "Decline";
  respondOutbound(first, decline);
  requestIn(LegId::Inbound, callerRequest(call, "BYE", 11));
  BOOST_TEST(response(out, LegId::Inbound, 481));
  // A 2xx arriving after the end is still ACKed and released.
  respondOutbound(first, ok200());
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Ack));
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Bye));
}

BOOST_FIXTURE_TEST_CASE(caller_cancel_after_a_no_answer_failover, CallFixture) {
  RouteDecision route = twoTargets();
  route.targets[0].noAnswerTimeout = Duration{15000};
  Action first = startCall(callerInvite(), route);
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  respondOutbound(first, ringing);
  out.clear();
  call.onTimer(TimerId{TimerKind::NoAnswer, LegId::Outbound}, out);
  Action second = *request(out, LegId::Outbound, sip::Method::Invite);
  respondOutbound(second, ringing);
  requestIn(LegId::Inbound,
            crlf("CANCEL sip:2002@sipha.example.com SIP/2.0\n"
                 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller1\n"
                 "From: <sip:2001@sipha.example.com>;tag=alice-tag\n"
                 "To: <sip:2002@sipha.example.com>\n"
                 "Call-ID: in-call-1@192.0.2.10\n"
                 "CSeq: 10 CANCEL\nContent-Length: 0\n\n"),
            3);
  // Only the second attempt is cancelled now; the first one was already.
  auto cancels = actionsOf(out, ActionKind::SendRequest);
  BOOST_REQUIRE_EQUAL(cancels.size(), 1u);
  BOOST_TEST(cancels[0]->method == sip::Method::Cancel);
  BOOST_TEST(cancels[0]->branch == second.branch);
  PeerResponse terminated;
  terminated.status = 487;
  terminated.reason = "Request Terminated";
  respondOutbound(second, terminated);
  BOOST_TEST(!ended(out));  // the first attempt is still open
  respondOutbound(first, terminated);
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(callee_bye_before_the_callers_ack, CallFixture) {
  Action invite = startCall();
  respondOutbound(invite, ok200());
  BOOST_REQUIRE_EQUAL(call.state(), CallState::Answered);
  requestIn(LegId::Outbound, calleeRequest(call, "BYE", 1), 22);
  BOOST_TEST(response(out, LegId::Outbound, 200));
  // The callee's 2xx is still ACKed (13.2.2.4); the caller gets a BYE; no more 2xx resends.
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Ack));
  BOOST_TEST(request(out, LegId::Inbound, sip::Method::Bye));
  BOOST_TEST(timer(out, ActionKind::CancelTimer, TimerKind::Retransmit2xx, LegId::Inbound));
  BOOST_TEST(call.state() == CallState::Terminating);
}

BOOST_FIXTURE_TEST_CASE(invite_without_contact_is_400, CallFixture) {
  std::string invite = callerInvite();
  invite.replace(invite.find("Contact:"), 8, "X-Other:");
  Action sent = startCall(invite);
  BOOST_TEST(sent.bytes.empty());
  const Action* refused = response(out, LegId::Inbound, 400);
  BOOST_REQUIRE(refused);
  BOOST_TEST(!parseWire(refused->bytes)->to().tag.empty());  // 8.2.6.2
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(unmatched_and_broken_responses, CallFixture) {
  Action invite = startCall();
  // A response to a CSeq the call never sent changes nothing.
  std::string stray = invite.bytes;
  auto wrong = parseWire(sip::buildResponse(
      *parseWire(std::string(stray).replace(stray.find("CSeq: 1 "), 8, "CSeq: 99 ")),
      sip::ResponseSpec{}));
  out.clear();
  call.onResponse(LegId::Outbound, *wrong, out);
  BOOST_TEST(out.actions.empty());
  BOOST_TEST(call.state() == CallState::Routing);
  // A request handed in as a response (or the reverse) is ignored.
  out.clear();
  call.onResponse(LegId::Outbound, *parseWire(invite.bytes), out);
  BOOST_TEST(out.actions.empty());
  // A 2xx without Contact cannot be a dialog (13.3.1.4): 502 toward the caller.
  PeerResponse noContact;
  respondOutbound(invite, noContact);
  BOOST_TEST(response(out, LegId::Inbound, 502));
  BOOST_TEST(ended(out));
}

BOOST_FIXTURE_TEST_CASE(no_answer_on_the_last_target_still_cancels_it, CallFixture) {
  RouteDecision route;
  Target only;
  only.requestUri = "sip:2002@192.0.2.20:5070";
  only.noAnswerTimeout = Duration{20000};
  route.targets = {only};
  Action invite = startCall(callerInvite(), route);
  out.clear();
  call.onTimer(TimerId{TimerKind::NoAnswer, LegId::Outbound}, out);
  BOOST_TEST(response(out, LegId::Inbound, 480));
  BOOST_TEST(!ended(out));  // the attempt is still open
  BOOST_TEST(call.state() == CallState::Cancelling);
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  respondOutbound(invite, ringing);
  const Action* cancel = request(out, LegId::Outbound, sip::Method::Cancel);
  BOOST_REQUIRE(cancel);
  BOOST_TEST(cancel->branch == invite.branch);
  BOOST_TEST(!response(out, LegId::Inbound, 180));
  PeerResponse terminated;
  terminated.status = 487;
  terminated.reason = "Request Terminated";
  respondOutbound(invite, terminated);
  BOOST_TEST(ended(out));
  BOOST_TEST(call.finalStatus() == 480u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
