// Calls restored from the state stream run through the same executor as live ones
// (docs/replication.md, core/call_executor.cpp): a backup's CallManager receives both legs of a
// confirmed call as records, holds them as a replica (no call, no timer, nothing sent), and at
// promotion the call answers BYE and re-INVITE on either leg with the dialogs' own CSeqs, tags
// and targets, through the real transaction layer.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "common/config/config_loader.hpp"
#include "core/call_manager.hpp"
#include "core/transaction_view.hpp"
#include "sip/parser.hpp"
#include "transaction/transaction_layer.hpp"
#include "transport/peer_format.hpp"

namespace sipha::core {
namespace {

struct Sent {
  std::string to;  // "udp:host:port"
  std::string bytes;
};

struct Sink final : transaction::TransportSink {
  std::vector<Sent> sent;
  bool send(const transport::Peer& to, std::string_view bytes) override {
    sent.push_back({transport::formatPeer(to), std::string{bytes}});
    return true;
  }
};

// The SIP core's part as the transaction user: forwards to the calls (sip_core.cpp does this).
struct User final : transaction::TransactionUser {
  CallManager* calls = nullptr;
  std::string buildAck(const transaction::ClientTransaction& client,
                       const transaction::IncomingResponse& response) override {
    return calls->buildAck(client, *static_cast<const sip::Message*>(response.message));
  }
  void onTimeout(transaction::ClientTransaction& client) override { calls->onClientFailed(client); }
  void onTimeout(transaction::ServerTransaction&) override {}
  void onTransportError(transaction::Transaction&) override {}
  void onTerminated(transaction::Transaction& transaction) override {
    calls->onTerminated(transaction);
  }
};

b2bua::Dialog dialog(std::string callId, std::string localTag, std::string remoteTag,
                     std::string localUri, std::string remoteUri, std::string target,
                     std::uint32_t localCseq, std::optional<std::uint32_t> remoteCseq) {
  b2bua::Dialog d;
  d.state = b2bua::DialogState::Confirmed;
  d.callId = std::move(callId);
  d.localTag = std::move(localTag);
  d.remoteTag = std::move(remoteTag);
  d.localUri = std::move(localUri);
  d.remoteUri = std::move(remoteUri);
  d.remoteTarget = std::move(target);
  d.localCseq = localCseq;
  d.remoteCseq = remoteCseq;
  d.remoteSdp = "v=0\r\n";
  return d;
}

replication::CallLegRecord legRecord(b2bua::LegId leg, std::uint64_t sequence, b2bua::Dialog d) {
  replication::CallLegRecord record;
  record.event.sequence = sequence;
  record.event.kind = b2bua::StateEventKind::LegUpdated;
  record.event.callKey = "caller-call";
  record.event.leg = leg;
  record.event.dialog = std::move(d);
  return record;
}

struct Fixture {
  timer::ManualClock clock{timer::TimePoint{timer::Duration{5000}}};
  timer::TimerWheel wheel{clock};
  Sink sink;
  User user;
  transaction::TransactionLayer transactions{wheel, sink, user};
  CoreCounters counters;
  CallManager calls{wheel,
                    transactions,
                    sink,
                    counters,
                    [] { return std::int64_t{1'800'000'000}; },
                    [] { return static_cast<const registrar::Registrar*>(nullptr); }};
  std::vector<std::unique_ptr<sip::Message>> kept;

  Fixture() {
    user.calls = &calls;
    auto loaded = common::loadConfigText(
        "[TServer]\nsip-address = 192.0.2.10\nsip-interface = 192.0.2.20\nsip-port = 5060\n",
        "test.ini");
    BOOST_REQUIRE(loaded.config);
    calls.configure(*loaded.config);
    // The backup receives both legs of the call from the primary's stream.
    calls.applyCallRecord(
        legRecord(b2bua::LegId::Inbound, 1,
                  dialog("caller-call", "in-tag", "caller-tag", "<sip:7002@192.0.2.10>",
                         "<sip:7001@192.0.2.10>", "sip:7001@192.0.2.1:5070", 4, 1)));
    calls.applyCallRecord(
        legRecord(b2bua::LegId::Outbound, 2,
                  dialog("our-call", "out-tag", "callee-tag", "<sip:7001@192.0.2.10>",
                         "<sip:7002@192.0.2.10>", "sip:7002@192.0.2.2:5080", 1, std::nullopt)));
  }

  transport::Peer peer(std::string_view host, std::uint16_t port) {
    transport::Peer p;
    BOOST_REQUIRE(transport::makePeer(transport::TransportKind::Udp, host, port, p));
    return p;
  }
  // A request from the network, through the transaction layer to the calls.
  CallManager::RequestResult request(std::string text, const transport::Peer& from) {
    auto parsed = sip::parseMessage(std::move(text));
    BOOST_REQUIRE(parsed.ok());
    auto message = std::move(parsed.message);
    const auto outcome =
        transactions.receiveRequest(transactionView(*message, from, message->to().tag));
    BOOST_REQUIRE(outcome.transaction != nullptr);
    const auto result = calls.onRequest(message, *outcome.transaction, from);
    if (message) kept.push_back(std::move(message));
    return result;
  }
  // A response from the network, as the SIP core passes it on: with its client transaction,
  // or without one (NoMatch: a 2xx whose transaction is gone). Returns the layer's disposition.
  transaction::ResponseDisposition response(std::string text, const transport::Peer& from) {
    auto parsed = sip::parseMessage(std::move(text));
    BOOST_REQUIRE(parsed.ok());
    const auto outcome = transactions.receiveResponse(responseView(*parsed.message, from));
    BOOST_REQUIRE(outcome.disposition != transaction::ResponseDisposition::Invalid);
    BOOST_TEST(calls.onResponse(*parsed.message, outcome.transaction));
    return outcome.disposition;
  }
  // An ACK for a 2xx (the transaction layer passes it up).
  void ack(std::string text, const transport::Peer& from) {
    auto parsed = sip::parseMessage(std::move(text));
    BOOST_REQUIRE(parsed.ok());
    auto message = std::move(parsed.message);
    transactions.receiveRequest(transactionView(*message, from, message->to().tag));
    calls.onAck(message, from);
  }
  const Sent& last() {
    BOOST_REQUIRE(!sink.sent.empty());
    return sink.sent.back();
  }
  // The top Via branch of what was sent last.
  std::string lastBranch() {
    const std::string& bytes = last().bytes;
    const auto at = bytes.find("branch=");
    return bytes.substr(at + 7, bytes.find_first_of(";\r", at) - at - 7);
  }
};

bool has(const std::string& bytes, std::string_view text) {
  return bytes.find(text) != std::string::npos;
}

BOOST_AUTO_TEST_SUITE(restored_call)

BOOST_FIXTURE_TEST_CASE(a_replica_is_inert_until_promotion, Fixture) {
  BOOST_TEST(calls.replicaCount() == 1u);
  BOOST_TEST(calls.activeCalls() == 0u);
  BOOST_TEST(wheel.size() == 0u);  // no timer for a replica
  BOOST_TEST(sink.sent.empty());
  // While it is a replica, a BYE finds no call.
  BOOST_TEST((request("BYE sip:7002@192.0.2.10 SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKinert\r\n"
                      "From: <sip:7001@192.0.2.10>;tag=caller-tag\r\n"
                      "To: <sip:7002@192.0.2.10>;tag=in-tag\r\n"
                      "Call-ID: caller-call\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\n"
                      "Content-Length: 0\r\n\r\n",
                      peer("192.0.2.1", 5070)) == CallManager::RequestResult::NotMine));
  BOOST_TEST(calls.promoteReplicas() == 1u);
  BOOST_TEST(calls.activeCalls() == 1u);
  BOOST_TEST(calls.replicaCount() == 0u);
}

BOOST_FIXTURE_TEST_CASE(bye_from_the_caller_reaches_the_callee_and_ends_the_call, Fixture) {
  BOOST_REQUIRE(calls.promoteReplicas() == 1u);
  BOOST_TEST((request("BYE sip:7002@192.0.2.10 SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKbye1\r\n"
                      "From: <sip:7001@192.0.2.10>;tag=caller-tag\r\n"
                      "To: <sip:7002@192.0.2.10>;tag=in-tag\r\n"
                      "Call-ID: caller-call\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\n"
                      "Content-Length: 0\r\n\r\n",
                      peer("192.0.2.1", 5070)) == CallManager::RequestResult::Handled));
  // The callee's leg: its own Call-ID, tags, the next CSeq, its target; our Via is the VIP's.
  const Sent bye = last();
  BOOST_TEST(bye.to == "udp:192.0.2.2:5080");
  BOOST_TEST(has(bye.bytes, "BYE sip:7002@192.0.2.2:5080 SIP/2.0"));
  BOOST_TEST(has(bye.bytes, "Call-ID: our-call"));
  BOOST_TEST(has(bye.bytes, "CSeq: 2 BYE"));
  BOOST_TEST(has(bye.bytes, "tag=out-tag"));
  BOOST_TEST(has(bye.bytes, "tag=callee-tag"));
  BOOST_TEST(has(bye.bytes, "Via: SIP/2.0/UDP 192.0.2.10:5060"));
  BOOST_TEST((response("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=" + lastBranch() +
                           "\r\nFrom: <sip:7001@192.0.2.10>;tag=out-tag\r\n"
                           "To: <sip:7002@192.0.2.10>;tag=callee-tag\r\nCall-ID: our-call\r\n"
                           "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
                       peer("192.0.2.2", 5080)) == transaction::ResponseDisposition::PassToTu));
  // The caller's BYE is answered 200 and the call is gone.
  bool answered = false;
  for (const Sent& sent : sink.sent) {
    answered = answered || (sent.to == "udp:192.0.2.1:5070" && has(sent.bytes, "SIP/2.0 200") &&
                            has(sent.bytes, "CSeq: 2 BYE"));
  }
  BOOST_TEST(answered);
  BOOST_TEST(calls.activeCalls() == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_hold_reinvite_from_the_callee_continues_the_callers_cseq, Fixture) {
  BOOST_REQUIRE(calls.promoteReplicas() == 1u);
  const std::string sdp =
      "v=0\r\no=- 1 2 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
  BOOST_TEST((request("INVITE sip:7001@192.0.2.10 SIP/2.0\r\n"
                      "Via: SIP/2.0/UDP 192.0.2.2:5080;branch=z9hG4bKhold1\r\n"
                      "From: <sip:7002@192.0.2.10>;tag=callee-tag\r\n"
                      "To: <sip:7001@192.0.2.10>;tag=out-tag\r\n"
                      "Call-ID: our-call\r\nCSeq: 7 INVITE\r\nMax-Forwards: 70\r\n"
                      "Contact: <sip:7002@192.0.2.2:5080>\r\n"
                      "Content-Type: application/sdp\r\nContent-Length: " +
                          std::to_string(sdp.size()) + "\r\n\r\n" + sdp,
                      peer("192.0.2.2", 5080)) == CallManager::RequestResult::Handled));
  // Relayed on the caller's dialog: the replicated local CSeq (4) + 1, the caller's tags.
  const Sent reinvite = last();
  BOOST_TEST(reinvite.to == "udp:192.0.2.1:5070");
  BOOST_TEST(has(reinvite.bytes, "INVITE sip:7001@192.0.2.1:5070 SIP/2.0"));
  BOOST_TEST(has(reinvite.bytes, "CSeq: 5 INVITE"));
  BOOST_TEST(has(reinvite.bytes, "Call-ID: caller-call"));
  BOOST_TEST(has(reinvite.bytes, "tag=in-tag"));
  BOOST_TEST(has(reinvite.bytes, "tag=caller-tag"));
  BOOST_TEST(has(reinvite.bytes, "m=audio 4000"));
}

// A call ringing when the primary died: the callee's 200 reaches the new primary (no client
// transaction here: the old primary's is gone) and completes the call toward the caller, whose
// INVITE got a new server transaction at promotion; the caller's ACK is relayed.
BOOST_FIXTURE_TEST_CASE(a_ringing_call_is_answered_after_promotion, Fixture) {
  const std::string invite =
      "INVITE sip:7002@192.0.2.10 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKringing\r\n"
      "From: <sip:7001@192.0.2.10>;tag=caller-tag\r\nTo: <sip:7002@192.0.2.10>\r\n"
      "Call-ID: ringing-call\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
      "Contact: <sip:7001@192.0.2.1:5070>\r\nContent-Length: 0\r\n\r\n";
  replication::EarlyCallRecord record;
  b2bua::EarlyCall& early = record.call;
  early.callKey = "ringing-call";
  early.invite = invite;
  early.source = "udp:192.0.2.1:5070";
  early.inboundTo = "<sip:7002@192.0.2.10>";
  early.inbound = dialog("ringing-call", "in-tag", "caller-tag", "<sip:7002@192.0.2.10>",
                         "<sip:7001@192.0.2.10>", "sip:7001@192.0.2.1:5070", 0, 1);
  early.inbound.state = b2bua::DialogState::Early;
  early.inbound.localCseq.reset();
  early.outbound = dialog("our-ringing", "out-tag", "callee-tag", "<sip:7001@192.0.2.10>",
                          "<sip:7002@192.0.2.10>", "sip:7002@192.0.2.2:5080", 1, std::nullopt);
  early.outbound.state = b2bua::DialogState::Early;
  early.inviteCseq = 1;
  early.branch = "z9hG4bKout1";
  early.requestUri = "sip:7002@192.0.2.2:5080";
  early.nextHop = "sip:7002@192.0.2.2:5080";
  early.to = "<sip:7002@192.0.2.10>";
  early.noAnswerMs = 20000;
  calls.applyEarlyCall(record);
  BOOST_TEST(wheel.size() == 0u);
  BOOST_TEST(calls.promoteReplicas() == 2u);  // the fixture's confirmed call and this one
  BOOST_TEST(calls.activeCalls() == 2u);
  BOOST_TEST(wheel.size() == 1u);  // the no-answer timer, re-armed

  const std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\n"
      "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
  BOOST_TEST(
      (response("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKout1\r\n"
                "From: <sip:7001@192.0.2.10>;tag=out-tag\r\n"
                "To: <sip:7002@192.0.2.10>;tag=callee-tag\r\n"
                "Call-ID: our-ringing\r\nCSeq: 1 INVITE\r\nContact: <sip:7002@192.0.2.2:5080>\r\n"
                "Content-Type: application/sdp\r\nContent-Length: " +
                    std::to_string(sdp.size()) + "\r\n\r\n" + sdp,
                peer("192.0.2.2", 5080)) == transaction::ResponseDisposition::NoMatch));
  const Sent ok = last();
  BOOST_TEST(ok.to == "udp:192.0.2.1:5070");
  BOOST_TEST(has(ok.bytes, "SIP/2.0 200"));
  BOOST_TEST(has(ok.bytes, "CSeq: 1 INVITE"));
  BOOST_TEST(has(ok.bytes, "tag=in-tag"));
  BOOST_TEST(has(ok.bytes, "branch=z9hG4bKringing"));
  BOOST_TEST(has(ok.bytes, "m=audio 4000"));

  ack("ACK sip:7002@192.0.2.10:5060 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKack1\r\n"
      "From: <sip:7001@192.0.2.10>;tag=caller-tag\r\nTo: <sip:7002@192.0.2.10>;tag=in-tag\r\n"
      "Call-ID: ringing-call\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
      peer("192.0.2.1", 5070));
  const Sent relayed = last();
  BOOST_TEST(relayed.to == "udp:192.0.2.2:5080");
  BOOST_TEST(has(relayed.bytes, "ACK sip:7002@192.0.2.2:5080 SIP/2.0"));
  BOOST_TEST(has(relayed.bytes, "CSeq: 1 ACK"));
  BOOST_TEST(has(relayed.bytes, "Call-ID: our-ringing"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::core
