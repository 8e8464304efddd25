// Finding a message's call and leg (RFC 3261 12 dialog identification) and the table's bound.
#include "b2bua/call_table.hpp"

#include "helpers.hpp"

namespace sipha::b2bua::test {
namespace {

struct TableFixture {
  TableFixture() {
    config.setLocal("10.0.0.1", 5060, 5061);
    config.udp.contact = "<sip:sipd@10.0.0.1:5060>";
  }

  std::unique_ptr<Call> started(std::string invite = callerInvite()) {
    auto call = std::make_unique<Call>(config, ids);
    Output out;
    InboundContext context;
    context.server = 1;
    call->start(parseWire(invite), context, twoTargets(), out);
    for (const Action& a : out.actions) {
      if (a.kind == ActionKind::SendRequest) outboundInvite = a;
    }
    return call;
  }

  CallConfig config;
  SequentialIds ids;
  Action outboundInvite;
};

BOOST_AUTO_TEST_SUITE(call_table)

BOOST_FIXTURE_TEST_CASE(messages_find_their_leg, TableFixture) {
  CallTable table(10);
  Call* call = table.insert(started());
  BOOST_REQUIRE(call);
  BOOST_TEST(table.size() == 1u);

  // The caller's INVITE retransmission and CANCEL: no To tag yet.
  auto again = parseWire(callerInvite());
  CallTable::Match m = table.find(*again);
  BOOST_TEST(m.call == call);
  BOOST_TEST(m.leg == LegId::Inbound);
  // The caller's in-dialog request, and its response to one of ours.
  BOOST_TEST(table.find(*parseWire(callerRequest(*call, "BYE", 11))).call == call);
  auto ourBye = parseWire(
      crlf("BYE sip:2001@192.0.2.10:5060 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKq\n"
           "From: <sip:2002@sipha.example.com>;tag=" +
           call->dialog(LegId::Inbound).localTag +
           "\nTo: <sip:2001@sipha.example.com>;tag=alice-tag\n"
           "Call-ID: in-call-1@192.0.2.10\nCSeq: 1 BYE\nContent-Length: 0\n\n"));
  auto callerAnswer = parseWire(sip::buildResponse(*ourBye, sip::ResponseSpec{}));
  m = table.find(*callerAnswer);
  BOOST_TEST(m.call == call);
  BOOST_TEST(m.leg == LegId::Inbound);
  // The callee's response to our INVITE, and its own request.
  auto calleeAnswer = answer(outboundInvite, CallFixture::ok200());
  m = table.find(*calleeAnswer);
  BOOST_TEST(m.call == call);
  BOOST_TEST(m.leg == LegId::Outbound);
  Output out;
  call->onResponse(LegId::Outbound, *calleeAnswer, out);
  m = table.find(*parseWire(calleeRequest(*call, "BYE", 1)));
  BOOST_TEST(m.call == call);
  BOOST_TEST(m.leg == LegId::Outbound);

  // Another caller reusing the Call-ID with its own tag is another dialog.
  std::string other = callerInvite();
  other.replace(other.find("alice-tag"), 9, "carol-tag");
  BOOST_TEST(!table.find(*parseWire(other)).call);
  std::string unknown = callerInvite();
  unknown.replace(unknown.find("in-call-1"), 9, "in-call-9");
  BOOST_TEST(!table.find(*parseWire(unknown)).call);

  table.erase(call);
  BOOST_TEST(table.size() == 0u);
  BOOST_TEST(!table.find(*again).call);
}

BOOST_FIXTURE_TEST_CASE(bounded_and_unique, TableFixture) {
  CallTable table(1);
  BOOST_REQUIRE(table.insert(started()));
  BOOST_TEST(table.full());
  std::string second = callerInvite();
  second.replace(second.find("in-call-1"), 9, "in-call-2");
  BOOST_TEST(!table.insert(started(second)));
  CallTable roomy(5);
  BOOST_REQUIRE(roomy.insert(started()));
  BOOST_TEST(!roomy.insert(started()));  // same caller dialog again
  // An ended call is not kept.
  RouteDecision none;
  auto call = std::make_unique<Call>(config, ids);
  Output out;
  call->start(parseWire(second), InboundContext{}, none, out);
  BOOST_TEST(call->ended());
  BOOST_TEST(!roomy.insert(std::move(call)));
  BOOST_TEST(roomy.size() == 1u);
}

// refresh() after a transfer created a leg whose Call-ID another call holds (a broken id source):
// the other call keeps its key, the new leg is not indexed, and refresh says so.
BOOST_FIXTURE_TEST_CASE(refresh_never_takes_another_calls_key, TableFixture) {
  class ScriptedIds final : public IdSource {
   public:
    std::string tag() override { return "t" + std::to_string(++n_); }
    std::string callId() override { return calls_++ == 0 ? "second-out" : "out-call-1"; }
    std::string branch() override { return "z9hG4bKs" + std::to_string(++n_); }

   private:
    int n_ = 0;
    int calls_ = 0;
  };
  CallTable table(4);
  Call* first = table.insert(started());  // outbound Call-ID out-call-1
  BOOST_REQUIRE(first);

  ScriptedIds scripted;
  auto owned = std::make_unique<Call>(config, scripted);
  Call& second = *owned;
  std::string invite = callerInvite();
  invite.replace(invite.find("in-call-1"), 9, "in-call-2");
  InboundContext context;
  context.transfer.blindTransferEnabled = true;
  RouteDecision route = twoTargets();
  route.targets[0].transfer.referEnabled = false;
  Output out;
  second.start(parseWire(invite), context, route, out);
  Action sent = *request(out, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(table.insert(std::move(owned)) == &second);
  out.clear();
  second.onResponse(LegId::Outbound, *answer(sent, CallFixture::ok200()), out);
  std::string ack = callerRequest(second, "ACK", 10);
  ack.replace(ack.find("in-call-1"), 9, "in-call-2");
  out.clear();
  second.onRequest(LegId::Inbound, parseWire(ack), 0, out);
  std::string refer =
      callerRequest(second, "REFER", 11, "Refer-To: <sip:3003@h>\n", {}, "z9hG4bKrf");
  refer.replace(refer.find("in-call-1"), 9, "in-call-2");
  out.clear();
  second.onRequest(LegId::Inbound, parseWire(refer), 2, out);
  BOOST_REQUIRE(response(out, LegId::Inbound, 202));
  RouteDecision carol;
  carol.targets.resize(1);
  carol.targets[0].requestUri = "sip:3003@192.0.2.40";
  out.clear();
  second.onTransferRoute(carol, out);
  BOOST_REQUIRE_EQUAL(second.dialog(LegId::Transfer).callId, "out-call-1");
  BOOST_TEST(!table.refresh(&second));
  // The first call's callee still reaches the first call.
  CallTable::Match m = table.find(*parseWire(calleeRequest(*first, "BYE", 1)));
  BOOST_TEST(m.call == first);
  BOOST_TEST(m.leg == LegId::Outbound);
  // The second call's own legs are still found.
  BOOST_TEST(table.find(*parseWire(calleeRequest(second, "INFO", 2))).call == &second);
  table.erase(&second);
  BOOST_TEST(table.find(*parseWire(calleeRequest(*first, "BYE", 1))).call == first);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
