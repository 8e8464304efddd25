// Random event sequences against one call (deterministic seed): whatever arrives in whatever
// order, every message the call produces parses, CallEnded comes at most once, nothing but
// 481s and the release of stray 2xx follow it, and replication events stay gap-free and rebuild
// exactly the live dialogs of a confirmed call.
#include <random>
#include <variant>

#include "b2bua/call.hpp"
#include "b2bua/state_event.hpp"
#include "helpers.hpp"
#include "replication/record.hpp"

namespace sipha::b2bua::test {
namespace {

constexpr std::uint16_t kStatuses[] = {100, 180, 183, 200, 200, 302, 408,
                                       481, 486, 487, 491, 500, 503, 603};
constexpr std::string_view kMethods[] = {"INVITE", "BYE", "INFO",   "UPDATE",
                                         "PRACK",  "ACK", "CANCEL", "OPTIONS"};

struct Checker {
  CallReplica replica;  // what the backup would hold
  std::size_t endedCount = 0;
  std::uint64_t lastSequence = 0;
  std::vector<Action> sent;  // requests the call sent, to answer later

  void check(const Output& out) {
    for (const Action& a : out.actions) {
      if (a.kind == ActionKind::SendRequest || a.kind == ActionKind::SendResponse) {
        sip::ParseResult parsed = sip::parseMessage(std::string(a.bytes));
        BOOST_REQUIRE_MESSAGE(parsed.ok(), "unparsable output: " << a.bytes);
      }
      if (endedCount > 0 && a.kind != ActionKind::CallEnded) {
        bool allowed = (a.kind == ActionKind::SendResponse && a.status == 481) ||
                       (a.kind == ActionKind::SendRequest &&
                        (a.method == sip::Method::Ack || a.method == sip::Method::Bye));
        BOOST_REQUIRE_MESSAGE(allowed, "action " << static_cast<int>(a.kind) << " after the end");
      }
      if (a.kind == ActionKind::CallEnded) ++endedCount;
      if (a.kind == ActionKind::SendRequest && a.method != sip::Method::Ack) sent.push_back(a);
    }
    BOOST_REQUIRE_LE(endedCount, 1u);
    for (const StateEvent& e : out.events) {
      BOOST_REQUIRE_EQUAL(e.sequence, lastSequence + 1);
      lastSequence = e.sequence;
      // Through the state stream's CallLeg record, as the backup receives it.
      std::string bytes;
      BOOST_REQUIRE(replication::encodeRecord(replication::CallLegRecord{e, {}}, bytes));
      replication::Record record;
      BOOST_REQUIRE(replication::decodeRecord(bytes, record) == replication::RecordError::None);
      const auto* decoded = std::get_if<replication::CallLegRecord>(&record);
      BOOST_REQUIRE(decoded != nullptr);
      BOOST_REQUIRE(decoded->event == e);
      BOOST_REQUIRE(replica.apply(decoded->event) == CallReplica::ApplyResult::Applied);
    }
  }
};

BOOST_AUTO_TEST_SUITE(call_random)

BOOST_AUTO_TEST_CASE(random_event_orders) {
  std::mt19937 random(20261126);
  std::size_t reached[8] = {};
  for (int round = 0; round < 1000; ++round) {
    CallFixture f;
    Checker checker;
    RouteDecision route = twoTargets();
    route.targets[0].noAnswerTimeout = Duration{1000};
    f.startCall(callerInvite(round % 3 == 0 ? std::string_view{} : kOfferSdp), route);
    checker.check(f.out);
    for (int step = 0; step < 40; ++step) {
      Output out;
      switch (random() % 5) {
        case 0:
        case 1: {  // a response to something the call sent
          if (checker.sent.empty()) break;
          const Action& a = checker.sent[random() % checker.sent.size()];
          PeerResponse peer = CallFixture::ok200(random() % 2 ? kAnswerSdp : std::string_view{});
          peer.status = kStatuses[random() % std::size(kStatuses)];
          peer.reason = "Random";
          peer.toTag = random() % 4 ? std::string_view("callee") : std::string_view("other");
          auto message = answer(a, peer);
          f.call.onResponse(a.leg, *message, out);
          break;
        }
        case 2: {  // a request from either side
          LegId leg = random() % 2 ? LegId::Inbound : LegId::Outbound;
          std::string_view method = kMethods[random() % std::size(kMethods)];
          std::uint32_t cseq = static_cast<std::uint32_t>(random() % 30);
          if (method == "ACK" && leg == LegId::Inbound && random() % 2) cseq = 10;  // the INVITE's
          std::string branch = "z9hG4bKr" + std::to_string(random());
          std::string bytes =
              leg == LegId::Inbound
                  ? callerRequest(f.call, method, cseq, {}, random() % 2 ? kOfferSdp : "", branch)
                  : calleeRequest(f.call, method, cseq, {}, random() % 2 ? kAnswerSdp : "", branch);
          f.call.onRequest(leg, parseWire(bytes), 1000 + step, out);
          break;
        }
        case 3: {  // a timer
          TimerId id{static_cast<TimerKind>(random() % 4),
                     random() % 2 ? LegId::Inbound : LegId::Outbound};
          f.call.onTimer(id, out);
          break;
        }
        case 4: {  // a client transaction timeout
          if (checker.sent.empty()) break;
          f.call.onClientTimeout(checker.sent[random() % checker.sent.size()].clientRef(), out);
          break;
        }
      }
      checker.check(out);
      ++reached[static_cast<std::size_t>(f.call.state())];
      if (f.call.state() == CallState::Confirmed) {
        // Every change of a confirmed call reached the replica.
        BOOST_REQUIRE(checker.replica.complete());
        BOOST_REQUIRE(checker.replica.leg(LegId::Inbound) == f.call.dialog(LegId::Inbound));
        BOOST_REQUIRE(checker.replica.leg(LegId::Outbound) == f.call.dialog(LegId::Outbound));
      }
    }
  }
  // The walk gets past the easy states.
  BOOST_TEST(reached[static_cast<std::size_t>(CallState::Early)] > 0u);
  BOOST_TEST(reached[static_cast<std::size_t>(CallState::Answered)] > 0u);
  BOOST_TEST(reached[static_cast<std::size_t>(CallState::Confirmed)] > 0u);
  BOOST_TEST(reached[static_cast<std::size_t>(CallState::Cancelling)] > 0u);
  BOOST_TEST(reached[static_cast<std::size_t>(CallState::Terminating)] > 0u);
  for (std::size_t i = 0; i < 8; ++i) {
    BOOST_TEST_MESSAGE(callStateName(static_cast<CallState>(i)) << ": " << reached[i]);
  }
}

// The walk over a forked group: 2-3 parallel branches (equal q) and one more group, responses
// and early-dialog requests from every branch's tag, caller CANCEL/PRACK/ACK, timers, timeouts.
BOOST_AUTO_TEST_CASE(random_forked_orders) {
  std::mt19937 random(20261128);
  constexpr std::string_view kTags[] = {"b0", "b1", "b2", "b3"};
  std::size_t reached[8] = {};
  std::size_t endedCalls = 0;
  for (int round = 0; round < 1000; ++round) {
    CallFixture f;
    Checker checker;
    RouteDecision route;
    const std::size_t branches = 2 + random() % 2;
    for (std::size_t i = 0; i <= branches; ++i) {
      Target t;
      t.requestUri = "sip:2002@192.0.2." + std::to_string(20 + i) + ":5070";
      t.flow = "udp:192.0.2." + std::to_string(20 + i) + ":5070";
      t.group = i < branches ? 0 : 1;
      t.huntOnFailure = random() % 2 == 0;
      t.noAnswerTimeout = Duration{i < branches && random() % 2 ? 1000 : 0};
      route.targets.push_back(t);
    }
    f.startCall(callerInvite(round % 3 == 0 ? std::string_view{} : kOfferSdp), route);
    checker.check(f.out);
    for (int step = 0; step < 40; ++step) {
      Output out;
      switch (random() % 6) {
        case 0:
        case 1:
        case 2: {  // a response to something the call sent, from one of the branches' phones
          if (checker.sent.empty()) break;
          const Action& a = checker.sent[random() % checker.sent.size()];
          PeerResponse peer = CallFixture::ok200(random() % 2 ? kAnswerSdp : std::string_view{});
          peer.status = kStatuses[random() % std::size(kStatuses)];
          peer.reason = "Random";
          std::string rseq = std::to_string(1 + random() % 3);
          if (peer.status > 100 && peer.status < 200 && random() % 2) {
            peer.headers.push_back({"Require", "100rel"});
            peer.headers.push_back({"RSeq", rseq});
          }
          auto sent = parseWire(a.bytes);
          std::string_view tag =
              sent->to().tag.empty() ? kTags[random() % std::size(kTags)] : sent->to().tag;
          peer.toTag = tag;
          f.call.onResponse(a.leg, *answer(a, peer), out);
          break;
        }
        case 3: {  // a request from the caller or from one branch's phone
          bool caller = random() % 2;
          std::string_view method = kMethods[random() % std::size(kMethods)];
          std::uint32_t cseq = static_cast<std::uint32_t>(random() % 30);
          if (method == "ACK" && caller && random() % 2) cseq = 10;
          std::string branch = "z9hG4bKf" + std::to_string(random());
          std::string extra;
          if (method == "PRACK")
            extra = "RAck: " + std::to_string(1 + random() % 3) + " 10 INVITE\n";
          std::string bytes;
          if (caller) {
            bytes =
                callerRequest(f.call, method, cseq, extra, random() % 2 ? kOfferSdp : "", branch);
          } else {
            bytes = calleeRequest(f.call, method, cseq, extra, {}, branch);
            std::string_view tag = kTags[random() % std::size(kTags)];
            const std::string& current = f.call.dialog(LegId::Outbound).remoteTag;
            if (!current.empty()) {
              std::size_t at = bytes.find(";tag=" + current);
              if (at != std::string::npos) bytes.replace(at + 5, current.size(), tag);
            }
          }
          f.call.onRequest(caller ? LegId::Inbound : LegId::Outbound, parseWire(bytes), 1000 + step,
                           out);
          break;
        }
        case 4: {  // a timer
          TimerId id{static_cast<TimerKind>(random() % 4),
                     random() % 2 ? LegId::Inbound : LegId::Outbound};
          f.call.onTimer(id, out);
          break;
        }
        case 5: {  // a client transaction timeout
          if (checker.sent.empty()) break;
          f.call.onClientTimeout(checker.sent[random() % checker.sent.size()].clientRef(), out);
          break;
        }
      }
      checker.check(out);
      ++reached[static_cast<std::size_t>(f.call.state())];
      if (f.call.state() == CallState::Confirmed) {
        BOOST_REQUIRE(checker.replica.complete());
        BOOST_REQUIRE(checker.replica.leg(LegId::Inbound) == f.call.dialog(LegId::Inbound));
        BOOST_REQUIRE(checker.replica.leg(LegId::Outbound) == f.call.dialog(LegId::Outbound));
      }
    }
    endedCalls += checker.endedCount;
  }
  BOOST_TEST(reached[static_cast<std::size_t>(CallState::Early)] > 0u);
  BOOST_TEST(reached[static_cast<std::size_t>(CallState::Confirmed)] > 0u);
  BOOST_TEST(reached[static_cast<std::size_t>(CallState::Cancelling)] > 0u);
  BOOST_TEST(endedCalls > 100u);
  BOOST_TEST_MESSAGE("forked walks ended: " << endedCalls);
}

// The same walk with transfers in the mix: REFERs from either side (blind, attended, broken),
// routing decisions for them, answers and timeouts on the Transfer leg, requests arriving there.
BOOST_AUTO_TEST_CASE(random_transfer_orders) {
  std::mt19937 random(20261127);
  std::size_t swaps = 0;
  std::size_t transfers = 0;
  for (int round = 0; round < 1000; ++round) {
    CallFixture f;
    f.inboundPolicy.blindTransferEnabled = random() % 4 != 0;
    Checker checker;
    RouteDecision route = twoTargets();
    route.targets[0].transfer.referEnabled = random() % 4 == 0;
    route.targets[0].transfer.blindTransferEnabled = random() % 2 == 0;
    Action invite = f.startCall(callerInvite(kOfferSdp), route);
    checker.check(f.out);
    // Most rounds get to a confirmed call first.
    if (random() % 4 != 0) {
      Output out;
      f.call.onResponse(LegId::Outbound, *answer(invite, CallFixture::ok200()), out);
      checker.check(out);
      Output ack;
      f.call.onRequest(LegId::Inbound, parseWire(callerRequest(f.call, "ACK", 10)), 0, ack);
      checker.check(ack);
    }
    std::string firstInbound = f.call.dialog(LegId::Inbound).callId;
    for (int step = 0; step < 40; ++step) {
      Output out;
      switch (random() % 7) {
        case 0:
        case 1: {  // a response to something the call sent (any leg)
          if (checker.sent.empty()) break;
          // The latest request half of the time, and a 200 half of the time, so walks get
          // through a whole transfer.
          const Action& a =
              random() % 2 ? checker.sent.back() : checker.sent[random() % checker.sent.size()];
          PeerResponse peer = CallFixture::ok200(random() % 4 ? kAnswerSdp : std::string_view{});
          peer.status = random() % 2 ? 200 : kStatuses[random() % std::size(kStatuses)];
          peer.reason = "Random";
          peer.toTag = random() % 4 ? std::string_view("callee") : std::string_view("other");
          f.call.onResponse(a.leg, *answer(a, peer), out);
          break;
        }
        case 2: {  // a REFER from either side
          LegId leg = random() % 3 ? LegId::Inbound : LegId::Outbound;
          std::uint32_t cseq = static_cast<std::uint32_t>(11 + random() % 20);
          std::string_view referTo = random() % 5 == 0
                                         ? "Refer-To: <sip:3003@h?Replaces=x%3Bto-tag%3Da>\n"
                                     : random() % 7 == 0 ? "Refer-To: nonsense<\n"
                                                         : "Refer-To: <sip:3003@h>\n";
          std::string branch = "z9hG4bKx" + std::to_string(random());
          std::string bytes = leg == LegId::Inbound
                                  ? callerRequest(f.call, "REFER", cseq, referTo, {}, branch)
                                  : calleeRequest(f.call, "REFER", cseq, referTo, {}, branch);
          f.call.onRequest(leg, parseWire(bytes), 2000 + step, out);
          break;
        }
        case 3: {  // the routing decision for a transfer (maybe none asked)
          RouteDecision decision;
          for (std::size_t i = random() % 3; i > 0; --i) {
            Target t;
            t.requestUri = "sip:3003@192.0.2." + std::to_string(40 + i) + ":5080";
            decision.targets.push_back(t);
          }
          decision.failureStatus = 404;
          f.call.onTransferRoute(decision, out);
          break;
        }
        case 4: {  // a request from either linked leg
          LegId leg = random() % 2 ? LegId::Inbound : LegId::Outbound;
          std::string_view method = kMethods[random() % std::size(kMethods)];
          std::uint32_t cseq = static_cast<std::uint32_t>(random() % 40);
          std::string branch = "z9hG4bKr" + std::to_string(random());
          std::string bytes =
              leg == LegId::Inbound
                  ? callerRequest(f.call, method, cseq, {}, random() % 2 ? kOfferSdp : "", branch)
                  : calleeRequest(f.call, method, cseq, {}, random() % 2 ? kAnswerSdp : "", branch);
          f.call.onRequest(leg, parseWire(bytes), 1000 + step, out);
          break;
        }
        case 5: {  // a timer of any slot
          TimerId id{static_cast<TimerKind>(random() % 4), static_cast<LegId>(random() % 3)};
          f.call.onTimer(id, out);
          break;
        }
        case 6: {  // a client transaction timeout
          if (checker.sent.empty()) break;
          f.call.onClientTimeout(checker.sent[random() % checker.sent.size()].clientRef(), out);
          break;
        }
      }
      checker.check(out);
      transfers += actionsOf(out, ActionKind::RouteTransfer).size();
      if (f.call.state() == CallState::Confirmed) {
        BOOST_REQUIRE(checker.replica.complete());
        BOOST_REQUIRE(checker.replica.leg(LegId::Inbound) == f.call.dialog(LegId::Inbound));
        BOOST_REQUIRE(checker.replica.leg(LegId::Outbound) == f.call.dialog(LegId::Outbound));
      }
    }
    if (f.call.dialog(LegId::Inbound).callId != firstInbound) ++swaps;
  }
  BOOST_TEST(transfers > 0u);
  BOOST_TEST(swaps > 0u);  // some walks complete a transfer
  BOOST_TEST_MESSAGE("transfers " << transfers << ", swaps " << swaps);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
