// Requests within the dialogs of an established (or early) call: re-INVITE both ways, glare,
// INFO/UPDATE/PRACK relay, CSeq and tag checks, Max-Forwards, the body hook.
#include "b2bua/call.hpp"

#include "helpers.hpp"

namespace sipha::b2bua::test {
namespace {

constexpr std::string_view kHoldSdp =
    "v=0\r\no=bob 7 8 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
    "m=audio 5000 RTP/AVP 0\r\na=sendonly\r\n";

BOOST_AUTO_TEST_SUITE(call_dialog)

BOOST_FIXTURE_TEST_CASE(reinvite_from_the_callee_is_relayed, CallFixture) {
  establish();
  requestIn(LegId::Outbound, calleeRequest(call, "INVITE", 1, {}, kHoldSdp), 30);
  BOOST_TEST(response(out, LegId::Outbound, 100));
  const Action* reinvite = request(out, LegId::Inbound, sip::Method::Invite);
  BOOST_REQUIRE(reinvite);
  auto r = parseWire(reinvite->bytes);
  BOOST_TEST(r->requestUriText() == "sip:2001@192.0.2.10:5060");
  BOOST_TEST(r->callId() == "in-call-1@192.0.2.10");
  BOOST_TEST(r->cseq().number == 1u);  // our own CSeq space on the caller's leg
  BOOST_TEST(r->body() == kHoldSdp);
  BOOST_TEST(r->header(sip::HeaderId::Contact) == "<sip:sipd@10.0.0.1:5060>");
  Action sent = *reinvite;

  PeerResponse ok;
  ok.toTag = {};  // the request already carries our tag
  ok.headers = {{"Contact", "<sip:2001@192.0.2.11:5060>"}};
  ok.contentType = "application/sdp";
  ok.body = kOfferSdp;
  respondInbound(sent, ok);
  const Action* relayed = response(out, LegId::Outbound, 200);
  BOOST_REQUIRE(relayed);
  BOOST_TEST(relayed->server == 30u);
  BOOST_TEST(parseWire(relayed->bytes)->body() == kOfferSdp);
  BOOST_TEST(call.dialog(LegId::Inbound).remoteTarget == "sip:2001@192.0.2.11:5060");
  BOOST_TEST(timer(out, ActionKind::StartTimer, TimerKind::Retransmit2xx, LegId::Outbound));
  BOOST_TEST(!request(out, LegId::Inbound, sip::Method::Ack));
  // Replicated: the inbound leg's new remote target (12.2.1.2 target refresh).
  bool replicated = false;
  for (const StateEvent& e : out.events) {
    replicated |= e.leg == LegId::Inbound && e.dialog.remoteTarget == "sip:2001@192.0.2.11:5060" &&
                  e.dialog.localCseq == 1u;
  }
  BOOST_TEST(replicated);

  requestIn(LegId::Outbound, calleeRequest(call, "ACK", 1, {}, {}, "z9hG4bKcalleeack"));
  const Action* ack = request(out, LegId::Inbound, sip::Method::Ack);
  BOOST_REQUIRE(ack);
  auto a = parseWire(ack->bytes);
  BOOST_TEST(a->cseq().number == 1u);
  BOOST_TEST(a->requestUriText() == "sip:2001@192.0.2.11:5060");
  BOOST_TEST(timer(out, ActionKind::CancelTimer, TimerKind::Retransmit2xx, LegId::Outbound));
  BOOST_TEST(call.dialog(LegId::Inbound).localCseq.value() == 1u);
}

BOOST_FIXTURE_TEST_CASE(reinvite_from_the_caller_and_its_rejection, CallFixture) {
  Action invite = establish();
  requestIn(LegId::Inbound, callerRequest(call, "INVITE", 11, {}, kHoldSdp), 31);
  const Action* reinvite = request(out, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(reinvite);
  auto r = parseWire(reinvite->bytes);
  BOOST_TEST(r->cseq().number == invite.cseq + 1);
  BOOST_TEST(r->to().tag == "callee");
  BOOST_TEST(r->header(sip::HeaderId::Route) == "<sip:gw-edge.example.com;lr>");
  Action sent = *reinvite;
  PeerResponse notAcceptable;
  notAcceptable.status = 488;
  notAcceptable.reason = "Not Acceptable Here";
  notAcceptable.toTag = {};
  respondOutbound(sent, notAcceptable);
  const Action* relayed = response(out, LegId::Inbound, 488);
  BOOST_REQUIRE(relayed);
  BOOST_TEST(relayed->server == 31u);
  BOOST_TEST(call.state() == CallState::Confirmed);  // a failed re-INVITE keeps the call
  BOOST_TEST(!timer(out, ActionKind::StartTimer, TimerKind::Retransmit2xx, LegId::Inbound));
}

BOOST_FIXTURE_TEST_CASE(glare_is_491, CallFixture) {
  establish();
  // The callee's re-INVITE is on its way to the caller ...
  requestIn(LegId::Outbound, calleeRequest(call, "INVITE", 1, {}, kHoldSdp), 30);
  BOOST_REQUIRE(request(out, LegId::Inbound, sip::Method::Invite));
  // ... when the caller sends its own (14.2).
  requestIn(LegId::Inbound, callerRequest(call, "INVITE", 11, {}, kOfferSdp), 31);
  const Action* glare = response(out, LegId::Inbound, 491);
  BOOST_REQUIRE(glare);
  BOOST_TEST(glare->server == 31u);
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Invite));
  // A second re-INVITE from the callee before the first is answered: 500 + Retry-After.
  requestIn(LegId::Outbound, calleeRequest(call, "INVITE", 2, {}, kHoldSdp), 32);
  const Action* later = response(out, LegId::Outbound, 500);
  BOOST_REQUIRE(later);
  BOOST_TEST(parseWire(later->bytes)->has(sip::HeaderId::RetryAfter));
}

BOOST_FIXTURE_TEST_CASE(info_and_update_are_relayed, CallFixture) {
  establish();
  requestIn(LegId::Inbound, callerRequest(call, "INFO", 11, "Info-Package: dtmf\nX-Private: no\n"),
            40);
  const Action* info = request(out, LegId::Outbound, sip::Method::Info);
  BOOST_REQUIRE(info);
  auto i = parseWire(info->bytes);
  BOOST_TEST(i->header("Info-Package") == "dtmf");
  BOOST_TEST(i->header("X-Private").empty());  // not an end-to-end header
  BOOST_TEST(!i->has(sip::HeaderId::Contact));
  Action sent = *info;
  PeerResponse ok;
  ok.toTag = {};
  respondOutbound(sent, ok);
  const Action* relayed = response(out, LegId::Inbound, 200);
  BOOST_REQUIRE(relayed);
  BOOST_TEST(relayed->server == 40u);

  requestIn(LegId::Outbound, calleeRequest(call, "UPDATE", 1, {}, kHoldSdp), 41);
  const Action* update = request(out, LegId::Inbound, sip::Method::Update);
  BOOST_REQUIRE(update);
  BOOST_TEST(parseWire(update->bytes)->body() == kHoldSdp);
  BOOST_TEST(parseWire(update->bytes)->has(sip::HeaderId::Contact));
  // A timeout of a relayed request answers 408 and ends the dialogs (12.2.1.2).
  ClientRef ref = update->clientRef();
  out.clear();
  call.onClientTimeout(ref, out);
  BOOST_TEST(response(out, LegId::Outbound, 408));
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Bye));
  BOOST_TEST(call.state() == CallState::Terminating);
}

BOOST_FIXTURE_TEST_CASE(unknown_methods_keep_their_name, CallFixture) {
  establish();
  requestIn(LegId::Inbound, callerRequest(call, "FOO", 11), 42);
  const Action* foo = request(out, LegId::Outbound, sip::Method::Unknown);
  BOOST_REQUIRE(foo);
  BOOST_TEST(parseWire(foo->bytes)->methodText() == "FOO");
  BOOST_TEST(parseWire(foo->bytes)->cseq().methodText == "FOO");
}

BOOST_FIXTURE_TEST_CASE(prack_in_the_early_dialog, CallFixture) {
  Action invite = startCall();
  PeerResponse reliable;
  reliable.status = 183;
  reliable.reason = "Session Progress";
  reliable.headers = {
      {"Contact", "<sip:2002@192.0.2.20:5070>"}, {"Require", "100rel"}, {"RSeq", "4711"}};
  reliable.contentType = "application/sdp";
  reliable.body = kAnswerSdp;
  respondOutbound(invite, reliable);
  const Action* r183 = response(out, LegId::Inbound, 183);
  BOOST_REQUIRE(r183);
  auto p = parseWire(r183->bytes);
  BOOST_TEST(p->header(sip::HeaderId::RSeq) == "4711");
  BOOST_TEST(p->header(sip::HeaderId::Require) == "100rel");
  BOOST_TEST(p->body() == kAnswerSdp);
  // RFC 3262 7.2: the caller's RAck names its INVITE (CSeq 10); ours names our INVITE.
  requestIn(LegId::Inbound, callerRequest(call, "PRACK", 11, "RAck: 4711 10 INVITE\n"), 50);
  const Action* prack = request(out, LegId::Outbound, sip::Method::Prack);
  BOOST_REQUIRE(prack);
  auto pr = parseWire(prack->bytes);
  BOOST_TEST(pr->header(sip::HeaderId::RAck) == "4711 " + std::to_string(invite.cseq) + " INVITE");
  BOOST_TEST(pr->cseq().number == invite.cseq + 1);
  BOOST_TEST(pr->to().tag == "callee");
  Action sent = *prack;
  PeerResponse ok;
  ok.toTag = {};
  respondOutbound(sent, ok);
  BOOST_TEST(response(out, LegId::Inbound, 200));
  BOOST_TEST(call.state() == CallState::Early);
  // The INVITE's own 200 still completes the call.
  respondOutbound(invite, ok200({}));
  BOOST_TEST(call.state() == CallState::Answered);
}

BOOST_FIXTURE_TEST_CASE(out_of_order_cseq_is_500, CallFixture) {
  establish();
  requestIn(LegId::Inbound, callerRequest(call, "INFO", 20), 60);
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Info));
  requestIn(LegId::Inbound, callerRequest(call, "INFO", 15, {}, {}, "z9hG4bKold"), 61);
  const Action* refused = response(out, LegId::Inbound, 500);
  BOOST_REQUIRE(refused);
  BOOST_TEST(refused->server == 61u);
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Info));
}

BOOST_FIXTURE_TEST_CASE(wrong_tag_is_481, CallFixture) {
  establish();
  std::string bye = callerRequest(call, "BYE", 11);
  bye.replace(bye.find("tag=alice-tag"), 13, "tag=mallory");
  requestIn(LegId::Inbound, bye, 62);
  BOOST_TEST(response(out, LegId::Inbound, 481));
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Bye));
  BOOST_TEST(call.state() == CallState::Confirmed);
}

BOOST_FIXTURE_TEST_CASE(max_forwards_zero_in_dialog_is_483, CallFixture) {
  establish();
  std::string info = callerRequest(call, "INFO", 11);
  info.replace(info.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  requestIn(LegId::Inbound, info, 63);
  BOOST_TEST(response(out, LegId::Inbound, 483));
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Info));
}

BOOST_FIXTURE_TEST_CASE(peer_481_ends_the_call, CallFixture) {
  establish();
  requestIn(LegId::Inbound, callerRequest(call, "INFO", 11), 64);
  Action info = *request(out, LegId::Outbound, sip::Method::Info);
  PeerResponse gone;
  gone.status = 481;
  gone.reason = "Call/Transaction Does Not Exist";
  gone.toTag = {};
  respondOutbound(info, gone);
  BOOST_TEST(response(out, LegId::Inbound, 481));
  BOOST_TEST(request(out, LegId::Inbound, sip::Method::Bye));  // 12.2.1.2
  BOOST_TEST(call.state() == CallState::Terminating);
}

BOOST_FIXTURE_TEST_CASE(cancel_of_a_relayed_reinvite, CallFixture) {
  establish();
  requestIn(LegId::Inbound, callerRequest(call, "INVITE", 11, {}, kHoldSdp, "z9hG4bKre1"), 70);
  Action reinvite = *request(out, LegId::Outbound, sip::Method::Invite);
  PeerResponse trying;
  trying.status = 180;
  trying.reason = "Ringing";
  trying.toTag = {};
  respondOutbound(reinvite, trying);
  std::string cancel = callerRequest(call, "CANCEL", 11, {}, {}, "z9hG4bKre1");
  requestIn(LegId::Inbound, cancel, 71);
  BOOST_TEST(response(out, LegId::Inbound, 200));
  const Action* terminated = response(out, LegId::Inbound, 487);
  BOOST_REQUIRE(terminated);
  BOOST_TEST(terminated->server == 70u);
  const Action* cancelOut = request(out, LegId::Outbound, sip::Method::Cancel);
  BOOST_REQUIRE(cancelOut);
  BOOST_TEST(cancelOut->branch == reinvite.branch);
  BOOST_TEST(call.state() == CallState::Confirmed);
  // The callee answered anyway: ACKed here, nothing toward the caller.
  PeerResponse ok = ok200();
  ok.toTag = {};
  respondOutbound(reinvite, ok);
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Ack));
  BOOST_TEST(!response(out, LegId::Inbound, 200));
}

BOOST_FIXTURE_TEST_CASE(caller_bye_on_the_early_dialog_cancels, CallFixture) {
  Action invite = startCall();
  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  respondOutbound(invite, ringing);
  requestIn(LegId::Inbound, callerRequest(call, "BYE", 11), 80);
  BOOST_TEST(response(out, LegId::Inbound, 200));
  BOOST_TEST(response(out, LegId::Inbound, 487));
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Cancel));
  BOOST_TEST(call.state() == CallState::Cancelling);
}

class Tagging final : public BodyTransform {
 public:
  std::string transform(const BodyContext& context, std::string_view body) override {
    contexts.push_back(context);
    return std::string(body) + "a=x-leg:" + (context.to == LegId::Outbound ? "out" : "in") + "\r\n";
  }
  std::vector<BodyContext> contexts;
};

BOOST_AUTO_TEST_CASE(body_transform_hook) {
  CallConfig config;
  SequentialIds ids;
  Tagging tagging;
  Call call(config, ids, &tagging);
  Output out;
  InboundContext context;
  context.server = 1;
  call.start(parseWire(callerInvite()), context, twoTargets(), out);
  const Action* invite = request(out, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(invite);
  BOOST_TEST(parseWire(invite->bytes)->body() == std::string(kOfferSdp) + "a=x-leg:out\r\n");
  BOOST_REQUIRE_EQUAL(tagging.contexts.size(), 1u);
  BOOST_TEST(tagging.contexts[0].from == LegId::Inbound);
  BOOST_TEST(tagging.contexts[0].method == sip::Method::Invite);
  BOOST_TEST(tagging.contexts[0].status == 0u);
  BOOST_TEST(tagging.contexts[0].contentType == "application/sdp");
  auto reply = answer(*invite, CallFixture::ok200());
  out.clear();
  call.onResponse(LegId::Outbound, *reply, out);
  const Action* ok = response(out, LegId::Inbound, 200);
  BOOST_REQUIRE(ok);
  BOOST_TEST(parseWire(ok->bytes)->body() == std::string(kAnswerSdp) + "a=x-leg:in\r\n");
  BOOST_REQUIRE_EQUAL(tagging.contexts.size(), 2u);
  BOOST_TEST(tagging.contexts[1].status == 200u);
  // SDP versions kept per leg as opaque text: what was received and what was sent.
  BOOST_TEST(call.dialog(LegId::Outbound).remoteSdp == kAnswerSdp);
  BOOST_TEST(call.dialog(LegId::Inbound).localSdp == std::string(kAnswerSdp) + "a=x-leg:in\r\n");
}

BOOST_FIXTURE_TEST_CASE(update_glare_is_491, CallFixture) {
  establish();
  // The caller's UPDATE with an offer is relayed to the callee ...
  requestIn(LegId::Inbound, callerRequest(call, "UPDATE", 11, {}, kHoldSdp), 90);
  BOOST_REQUIRE(request(out, LegId::Outbound, sip::Method::Update));
  // ... while the callee sends its own offer (RFC 3311 5.2).
  requestIn(LegId::Outbound, calleeRequest(call, "UPDATE", 1, {}, kHoldSdp), 91);
  BOOST_TEST(response(out, LegId::Outbound, 491));
  BOOST_TEST(!request(out, LegId::Inbound, sip::Method::Update));
  // Without a body it is no offer and passes.
  requestIn(LegId::Outbound, calleeRequest(call, "UPDATE", 2), 92);
  BOOST_TEST(request(out, LegId::Inbound, sip::Method::Update));
}

BOOST_FIXTURE_TEST_CASE(pending_requests_are_bounded, CallFixture) {
  config.maxPendingPerLeg = 3;
  establish();
  for (std::uint32_t i = 0; i < 3; ++i) {
    requestIn(LegId::Inbound,
              callerRequest(call, "INFO", 11 + i, {}, {}, "z9hG4bKi" + std::to_string(i)), 100 + i);
    BOOST_TEST(request(out, LegId::Outbound, sip::Method::Info));
  }
  requestIn(LegId::Inbound, callerRequest(call, "INFO", 20, {}, {}, "z9hG4bKi9"), 109);
  const Action* refused = response(out, LegId::Inbound, 500);
  BOOST_REQUIRE(refused);
  BOOST_TEST(parseWire(refused->bytes)->has(sip::HeaderId::RetryAfter));
  BOOST_TEST(!request(out, LegId::Outbound, sip::Method::Info));
}

BOOST_FIXTURE_TEST_CASE(failed_prack_while_ringing_ends_with_a_final_response, CallFixture) {
  Action invite = startCall();
  PeerResponse reliable;
  reliable.status = 183;
  reliable.reason = "Session Progress";
  reliable.headers = {{"Require", "100rel"}, {"RSeq", "1"}};
  respondOutbound(invite, reliable);
  requestIn(LegId::Inbound, callerRequest(call, "PRACK", 11, "RAck: 1 10 INVITE\n"), 50);
  Action prack = *request(out, LegId::Outbound, sip::Method::Prack);
  PeerResponse gone;
  gone.status = 481;
  gone.reason = "Call/Transaction Does Not Exist";
  gone.toTag = {};
  respondOutbound(prack, gone);
  BOOST_TEST(response(out, LegId::Inbound, 481));               // the PRACK's answer
  BOOST_TEST(response(out, LegId::Inbound, 500));               // the INVITE's
  BOOST_TEST(!request(out, LegId::Inbound, sip::Method::Bye));  // no BYE from a UAS early
  BOOST_TEST(request(out, LegId::Outbound, sip::Method::Cancel));
  BOOST_TEST(call.state() == CallState::Cancelling);
}

BOOST_FIXTURE_TEST_CASE(reinvite_without_offer, CallFixture) {
  establish();
  requestIn(LegId::Outbound, calleeRequest(call, "INVITE", 1), 30);
  Action reinvite = *request(out, LegId::Inbound, sip::Method::Invite);
  BOOST_TEST(parseWire(reinvite.bytes)->body().empty());
  // The caller offers in its 200 ...
  PeerResponse ok;
  ok.toTag = {};
  ok.headers = {{"Contact", "<sip:2001@192.0.2.10:5060>"}};
  ok.contentType = "application/sdp";
  ok.body = kOfferSdp;
  respondInbound(reinvite, ok);
  BOOST_TEST(parseWire(response(out, LegId::Outbound, 200)->bytes)->body() == kOfferSdp);
  // ... and the callee's answer in its ACK reaches the caller in ours.
  requestIn(LegId::Outbound, calleeRequest(call, "ACK", 1, {}, kHoldSdp, "z9hG4bKcalleeack"));
  const Action* ack = request(out, LegId::Inbound, sip::Method::Ack);
  BOOST_REQUIRE(ack);
  BOOST_TEST(parseWire(ack->bytes)->body() == kHoldSdp);
  BOOST_TEST(call.dialog(LegId::Inbound).localSdp == kHoldSdp);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
