// RFC 3261 17.2 server transactions (with RFC 6026 7.1) driven on a ManualClock.
#include <boost/test/unit_test.hpp>

#include "layer_fixture.hpp"

using namespace sipha::testing;
using namespace sipha::transaction;
using sipha::sip::Method;
using sipha::transport::TransportKind;

BOOST_AUTO_TEST_SUITE(server_transaction)

// 17.2.1: a retransmitted INVITE re-sends the last provisional response, or nothing before one.
BOOST_AUTO_TEST_CASE(invite_retransmission_resends_last_provisional) {
  LayerFixture f;
  const auto invite = makeRequest(Method::Invite, "z9hG4bKs1");
  ServerTransaction* tx = f.newServer(invite);
  BOOST_REQUIRE(tx != nullptr);
  BOOST_TEST(tx->state() == State::Proceeding);
  BOOST_TEST(tx->kind() == TransactionKind::InviteServer);
  const auto early = f.layer->receiveRequest(invite);
  BOOST_TEST(early.disposition == RequestDisposition::Retransmission);
  BOOST_TEST(early.transaction == tx);
  BOOST_TEST(f.sink.sent.empty());
  BOOST_TEST(tx->respond(100, "100-Trying") == RespondResult::Ok);
  BOOST_TEST(tx->respond(180, "180-Ringing") == RespondResult::Ok);
  f.runTo(300);
  f.layer->receiveRequest(invite);
  BOOST_TEST(f.sink.timesOf("180-Ringing") == (Times{0, 300}), boost::test_tools::per_element());
  BOOST_TEST(f.sink.timesOf("100-Trying") == (Times{0}), boost::test_tools::per_element());
  BOOST_TEST(f.layer->counters().requestRetransmissions == 2u);
  f.runTo(100000);  // no timer runs in Proceeding: the TU must answer
  BOOST_TEST(tx->state() == State::Proceeding);
}

// 17.2.1: non-2xx final: Timer G from T1 doubling to T2; Timer H = 64*T1 without an ACK.
BOOST_AUTO_TEST_CASE(invite_non2xx_timer_g_until_timer_h) {
  LayerFixture f;
  ServerTransaction* tx = f.newServer(makeRequest(Method::Invite, "z9hG4bKs1"));
  BOOST_TEST(tx->respond(486, "486-Busy") == RespondResult::Ok);
  BOOST_TEST(tx->state() == State::Completed);
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("486-Busy") ==
                 (Times{0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}),
             boost::test_tools::per_element());
  BOOST_REQUIRE(f.user.timeouts.size() == 1u);
  BOOST_TEST(f.user.timeouts[0].transaction == tx);
  BOOST_TEST(f.user.timeouts[0].at == 32000);
  BOOST_TEST(f.user.terminatedAt(tx) == 32000);
  BOOST_TEST(f.layer->counters().serverTimeouts == 1u);
}

// 17.2.1: the ACK for a non-2xx is absorbed: Confirmed, G stops, Timer I = T4; retransmitted
// ACKs and INVITEs are absorbed silently in Confirmed.
BOOST_AUTO_TEST_CASE(invite_ack_for_non2xx_is_absorbed_then_timer_i) {
  LayerFixture f;
  const auto invite = makeRequest(Method::Invite, "z9hG4bKs1");
  ServerTransaction* tx = f.newServer(invite);
  tx->respond(486, "486-Busy");
  f.runTo(700);
  f.layer->receiveRequest(invite);  // Completed: the final response is re-sent
  f.runTo(1000);
  auto ack = makeRequest(Method::Ack, "z9hG4bKs1");
  ack.toTag = "to-srv";
  const auto outcome = f.layer->receiveRequest(ack);
  BOOST_TEST(outcome.disposition == RequestDisposition::AckAbsorbed);
  BOOST_TEST(outcome.transaction == tx);
  BOOST_TEST(tx->state() == State::Confirmed);
  f.runTo(2000);
  BOOST_TEST(f.layer->receiveRequest(ack).disposition == RequestDisposition::AckAbsorbed);
  BOOST_TEST(f.layer->receiveRequest(invite).disposition == RequestDisposition::Retransmission);
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("486-Busy") == (Times{0, 500, 700}), boost::test_tools::per_element());
  BOOST_TEST(f.user.terminatedAt(tx) == 6000);
  BOOST_TEST(f.user.timeouts.empty());
  BOOST_TEST(f.layer->counters().acksAbsorbed == 2u);
}

// 17.2.1: reliable transports: no Timer G, Timer I = 0.
BOOST_AUTO_TEST_CASE(invite_reliable_no_g_and_ack_terminates_at_once) {
  LayerFixture f;
  ServerTransaction* tx = f.newServer(makeRequest(Method::Invite, "z9hG4bKs1", TransportKind::Tcp));
  tx->respond(480, "480");
  f.runTo(1200);
  BOOST_TEST(f.layer->receiveRequest(makeRequest(Method::Ack, "z9hG4bKs1", TransportKind::Tcp))
                 .disposition == RequestDisposition::AckAbsorbed);
  BOOST_TEST(f.user.terminatedAt(tx) == 1200);
  BOOST_TEST(f.sink.timesOf("480") == (Times{0}), boost::test_tools::per_element());
  BOOST_TEST(f.layer->serverCount() == 0u);
}

BOOST_AUTO_TEST_CASE(invite_reliable_timer_h_still_fires) {
  LayerFixture f;
  ServerTransaction* tx = f.newServer(makeRequest(Method::Invite, "z9hG4bKs1", TransportKind::Tls));
  tx->respond(500, "500");
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("500") == (Times{0}), boost::test_tools::per_element());
  BOOST_TEST(f.user.terminatedAt(tx) == 32000);
  BOOST_TEST(f.user.timeouts.size() == 1u);
}

// RFC 6026 7.1: a 2xx moves to Accepted: retransmitted INVITEs are absorbed without a response,
// the TU's own 2xx retransmissions pass through, the ACK goes to the TU, Timer L ends it.
BOOST_AUTO_TEST_CASE(invite_2xx_accepted_absorbs_retransmitted_invites) {
  LayerFixture f;
  const auto invite = makeRequest(Method::Invite, "z9hG4bKs1");
  ServerTransaction* tx = f.newServer(invite);
  BOOST_TEST(tx->respond(200, "200-OK") == RespondResult::Ok);
  BOOST_TEST(tx->state() == State::Accepted);
  f.runTo(500);
  BOOST_TEST(f.layer->receiveRequest(invite).disposition == RequestDisposition::Retransmission);
  BOOST_TEST(tx->respond(200, "200-OK") == RespondResult::Ok);  // the TU's 13.3.1.4 retransmission
  BOOST_TEST(tx->respond(486, "486") == RespondResult::InvalidState);
  BOOST_TEST(tx->respond(180, "180") == RespondResult::InvalidState);
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("200-OK") == (Times{0, 500}), boost::test_tools::per_element());
  BOOST_TEST(f.user.terminatedAt(tx) == 32000);
  BOOST_TEST(f.user.timeouts.empty());
}

BOOST_AUTO_TEST_CASE(invite_accepted_passes_ack_to_tu) {
  LayerFixture f;
  ServerTransaction* tx = f.newServer(makeRequest(Method::Invite, "z9hG4bKs1"));
  tx->respond(200, "200-OK");
  // An ACK reusing the INVITE's branch matches the transaction; in Accepted it is the TU's.
  const auto same = f.layer->receiveRequest(makeRequest(Method::Ack, "z9hG4bKs1"));
  BOOST_TEST(same.disposition == RequestDisposition::AckForTu);
  BOOST_TEST(same.transaction == tx);
  // The usual 2xx ACK has a branch of its own (13.2.2.4): no transaction, for the TU.
  const auto own = f.layer->receiveRequest(makeRequest(Method::Ack, "z9hG4bKack"));
  BOOST_TEST(own.disposition == RequestDisposition::AckForTu);
  BOOST_TEST(own.transaction == nullptr);
  BOOST_TEST(f.layer->counters().acksToTu == 2u);
  BOOST_TEST(f.layer->serverCount() == 1u);  // an ACK never creates a transaction
}

// 17.2.2: Trying absorbs retransmissions silently; Proceeding and Completed re-send the last
// response; Timer J = 64*T1 on unreliable transports.
BOOST_AUTO_TEST_CASE(non_invite_retransmissions_and_timer_j) {
  LayerFixture f;
  const auto options = makeRequest(Method::Options, "z9hG4bKo1");
  ServerTransaction* tx = f.newServer(options);
  BOOST_TEST(tx->state() == State::Trying);
  BOOST_TEST(tx->kind() == TransactionKind::NonInviteServer);
  f.layer->receiveRequest(options);
  BOOST_TEST(f.sink.sent.empty());
  tx->respond(100, "100");
  BOOST_TEST(tx->state() == State::Proceeding);
  f.runTo(100);
  f.layer->receiveRequest(options);
  tx->respond(200, "200");
  BOOST_TEST(tx->state() == State::Completed);
  f.runTo(300);
  f.layer->receiveRequest(options);
  BOOST_TEST(tx->respond(200, "200") == RespondResult::InvalidState);
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("100") == (Times{0, 100}), boost::test_tools::per_element());
  BOOST_TEST(f.sink.timesOf("200") == (Times{100, 300}), boost::test_tools::per_element());
  BOOST_TEST(f.user.terminatedAt(tx) == 32100);
}

BOOST_AUTO_TEST_CASE(non_invite_reliable_timer_j_is_zero) {
  LayerFixture f;
  const auto bye = makeRequest(Method::Bye, "z9hG4bKb1", TransportKind::Tcp);
  ServerTransaction* tx = f.newServer(bye);
  f.runTo(10);
  BOOST_TEST(tx->respond(200, "200") == RespondResult::Ok);
  BOOST_TEST(tx->state() == State::Terminated);
  BOOST_TEST(f.user.terminatedAt(tx) == 10);
  BOOST_TEST(f.layer->serverCount() == 0u);
}

BOOST_AUTO_TEST_CASE(respond_validates_status_and_reports_transport_errors) {
  LayerFixture f;
  ServerTransaction* tx = f.newServer(makeRequest(Method::Invite, "z9hG4bKs1"));
  BOOST_TEST(tx->respond(99, "x") == RespondResult::InvalidStatus);
  BOOST_TEST(tx->respond(700, "x") == RespondResult::InvalidStatus);
  f.sink.fail = true;
  BOOST_TEST(tx->respond(180, "180") == RespondResult::TransportError);
  BOOST_TEST(tx->state() == State::Terminated);
  BOOST_REQUIRE(f.user.transportErrors.size() == 1u);
  BOOST_TEST(f.user.transportErrors[0] == tx);
  BOOST_TEST(tx->respond(200, "200") == RespondResult::InvalidState);
}

// Responses go where the request came from unless the TU says otherwise (18.2.2).
BOOST_AUTO_TEST_CASE(response_destination) {
  LayerFixture f;
  ServerTransaction* tx =
      f.newServer(makeRequest(Method::Options, "z9hG4bKo1", TransportKind::Tcp));
  BOOST_TEST(tx->reliable());
  tx->setResponseDestination(peer(TransportKind::Udp));
  BOOST_TEST(!tx->reliable());
  tx->respond(200, "200");
  BOOST_REQUIRE(f.sink.sent.size() == 1u);
  BOOST_TEST((f.sink.sent[0].kind == TransportKind::Udp));
  BOOST_TEST(tx->state() == State::Completed);  // Timer J runs: unreliable now
}

BOOST_AUTO_TEST_CASE(ack_before_any_final_response_is_counted_and_ignored) {
  LayerFixture f;
  ServerTransaction* tx = f.newServer(makeRequest(Method::Invite, "z9hG4bKs1"));
  const auto outcome = f.layer->receiveRequest(makeRequest(Method::Ack, "z9hG4bKs1"));
  BOOST_TEST(outcome.disposition == RequestDisposition::AckAbsorbed);
  BOOST_TEST(tx->state() == State::Proceeding);
  BOOST_TEST(f.layer->counters().invalidInput == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
