// RFC 3261 17.1 client transactions (with RFC 6026 7.2) driven on a ManualClock.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/test/unit_test.hpp>

#include "layer_fixture.hpp"

using namespace sipha::testing;
using namespace sipha::transaction;
using sipha::sip::Method;
using sipha::transport::TransportKind;

BOOST_AUTO_TEST_SUITE(client_transaction)

// 17.1.1.2: Timer A starts at T1 and doubles (no cap for INVITE); Timer B = 64*T1 times out.
BOOST_AUTO_TEST_CASE(invite_unreliable_timer_a_doubles_until_timer_b) {
  LayerFixture f;
  ClientTransaction* tx = f.startClient(Method::Invite, "z9hG4bKc1", "INVITE-1");
  BOOST_REQUIRE(tx != nullptr);
  BOOST_TEST(tx->state() == State::Calling);
  BOOST_TEST(tx->kind() == TransactionKind::InviteClient);
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("INVITE-1") == (Times{0, 500, 1500, 3500, 7500, 15500, 31500}),
             boost::test_tools::per_element());
  BOOST_REQUIRE(f.user.timeouts.size() == 1u);
  BOOST_TEST(f.user.timeouts[0].at == 32000);
  BOOST_TEST(f.user.terminatedAt(tx) == 32000);
  BOOST_TEST(f.layer->counters().clientTimeouts == 1u);
  BOOST_TEST(f.layer->counters().retransmissionsSent == 6u);
  BOOST_TEST(f.layer->clientCount() == 0u);
}

BOOST_AUTO_TEST_CASE(timers_follow_configured_t1) {
  Config config;
  config.timers.t1 = std::chrono::milliseconds(100);
  LayerFixture f(config);
  ClientTransaction* tx = f.startClient(Method::Invite, "z9hG4bKc1", "INVITE-1");
  f.runTo(10000);
  BOOST_TEST(f.sink.timesOf("INVITE-1") == (Times{0, 100, 300, 700, 1500, 3100, 6300}),
             boost::test_tools::per_element());
  BOOST_TEST(f.user.terminatedAt(tx) == 6400);
}

// 17.1.1.2: reliable transports: no Timer A, Timer B still guards the transaction.
BOOST_AUTO_TEST_CASE(invite_reliable_no_retransmission_timer_b_still_fires) {
  LayerFixture f;
  ClientTransaction* tx =
      f.startClient(Method::Invite, "z9hG4bKc1", "INVITE-1", TransportKind::Tcp);
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("INVITE-1") == (Times{0}), boost::test_tools::per_element());
  BOOST_TEST(f.user.terminatedAt(tx) == 32000);
  BOOST_TEST(f.user.timeouts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(invite_provisional_stops_retransmission_and_timer_b) {
  LayerFixture f;
  ClientTransaction* tx = f.startClient(Method::Invite, "z9hG4bKc1", "INVITE-1");
  f.runTo(600);
  const auto outcome = f.layer->receiveResponse(makeResponse(180, "z9hG4bKc1", Method::Invite));
  BOOST_TEST(outcome.disposition == ResponseDisposition::PassToTu);
  BOOST_TEST(outcome.transaction == tx);
  BOOST_TEST(tx->state() == State::Proceeding);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(183, "z9hG4bKc1", Method::Invite)).disposition ==
             ResponseDisposition::PassToTu);
  f.runTo(100000);
  BOOST_TEST(f.sink.timesOf("INVITE-1") == (Times{0, 500}), boost::test_tools::per_element());
  BOOST_TEST(f.user.timeouts.empty());
  BOOST_TEST(tx->state() == State::Proceeding);
  BOOST_TEST(tx->lastStatus() == 183);
}

// 17.1.1.3: the transaction ACKs a non-2xx final itself, re-ACKs retransmissions of it without
// bothering the TU, and Timer D (32 s) ends it.
BOOST_AUTO_TEST_CASE(invite_non2xx_is_acked_and_timer_d_terminates) {
  LayerFixture f;
  ClientTransaction* tx = f.startClient(Method::Invite, "z9hG4bKc1", "INVITE-1");
  f.runTo(100);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(486, "z9hG4bKc1", Method::Invite)).disposition ==
             ResponseDisposition::PassToTu);
  BOOST_TEST(tx->state() == State::Completed);
  f.runTo(200);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(486, "z9hG4bKc1", Method::Invite)).disposition ==
             ResponseDisposition::Absorbed);
  BOOST_TEST(f.user.acksBuilt == 1);
  BOOST_TEST(f.sink.timesOf("ACK/486") == (Times{100, 200}), boost::test_tools::per_element());
  f.runTo(60000);
  BOOST_TEST(f.sink.timesOf("INVITE-1") == (Times{0}), boost::test_tools::per_element());
  BOOST_TEST(f.user.terminatedAt(tx) == 32100);
  BOOST_TEST(f.user.timeouts.empty());
  BOOST_TEST(f.layer->counters().responseRetransmissions == 1u);
}

BOOST_AUTO_TEST_CASE(invite_non2xx_on_reliable_transport_terminates_at_once) {
  LayerFixture f;
  ClientTransaction* tx =
      f.startClient(Method::Invite, "z9hG4bKc1", "INVITE-1", TransportKind::Tls);
  f.runTo(50);
  const auto outcome = f.layer->receiveResponse(makeResponse(603, "z9hG4bKc1", Method::Invite));
  BOOST_TEST(outcome.disposition == ResponseDisposition::PassToTu);
  BOOST_TEST(outcome.transaction == tx);  // still valid until control returns to the loop
  BOOST_TEST(tx->state() == State::Terminated);
  BOOST_TEST(f.user.terminatedAt(tx) == 50);
  BOOST_TEST(f.sink.timesOf("ACK/603") == (Times{50}), boost::test_tools::per_element());
  BOOST_TEST(f.layer->clientCount() == 0u);
}

// RFC 6026 7.2: a 2xx moves to Accepted; further 2xx go to the TU (it ACKs them), other responses
// are absorbed, Timer M = 64*T1 ends it. The transaction never ACKs a 2xx itself.
BOOST_AUTO_TEST_CASE(invite_2xx_accepted_passes_2xx_and_timer_m_terminates) {
  LayerFixture f;
  ClientTransaction* tx = f.startClient(Method::Invite, "z9hG4bKc1", "INVITE-1");
  f.runTo(700);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(200, "z9hG4bKc1", Method::Invite)).disposition ==
             ResponseDisposition::PassToTu);
  BOOST_TEST(tx->state() == State::Accepted);
  f.runTo(800);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(200, "z9hG4bKc1", Method::Invite)).disposition ==
             ResponseDisposition::PassToTu);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(180, "z9hG4bKc1", Method::Invite)).disposition ==
             ResponseDisposition::Absorbed);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(486, "z9hG4bKc1", Method::Invite)).disposition ==
             ResponseDisposition::Absorbed);
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("INVITE-1") == (Times{0, 500}), boost::test_tools::per_element());
  BOOST_TEST(f.user.acksBuilt == 0);
  BOOST_TEST(f.user.terminatedAt(tx) == 32700);
  BOOST_TEST(f.user.timeouts.empty());
}

// 17.1.2.2: Timer E doubles up to T2 in Trying; Timer F = 64*T1 times out.
BOOST_AUTO_TEST_CASE(non_invite_timer_e_caps_at_t2_until_timer_f) {
  LayerFixture f;
  ClientTransaction* tx = f.startClient(Method::Options, "z9hG4bKo1", "OPTIONS-1");
  BOOST_TEST(tx->state() == State::Trying);
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("OPTIONS-1") ==
                 (Times{0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}),
             boost::test_tools::per_element());
  BOOST_TEST(f.user.terminatedAt(tx) == 32000);
  BOOST_REQUIRE(f.user.timeouts.size() == 1u);
  BOOST_TEST(f.user.timeouts[0].transaction == tx);
}

// 17.1.2.2: in Proceeding, Timer E fires every T2.
BOOST_AUTO_TEST_CASE(non_invite_proceeding_retransmits_every_t2) {
  LayerFixture f;
  ClientTransaction* tx = f.startClient(Method::Register, "z9hG4bKr1", "REGISTER-1");
  f.runTo(600);
  BOOST_TEST(
      f.layer->receiveResponse(makeResponse(100, "z9hG4bKr1", Method::Register)).disposition ==
      ResponseDisposition::PassToTu);
  BOOST_TEST(tx->state() == State::Proceeding);
  f.runTo(40000);
  BOOST_TEST(f.sink.timesOf("REGISTER-1") ==
                 (Times{0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500}),
             boost::test_tools::per_element());
  BOOST_TEST(f.user.terminatedAt(tx) == 32000);
  BOOST_TEST(f.user.timeouts.size() == 1u);
}

// 17.1.2.2: a final response: Completed, retransmissions absorbed, Timer K = T4 (0 reliable).
BOOST_AUTO_TEST_CASE(non_invite_final_then_timer_k) {
  LayerFixture f;
  ClientTransaction* udp = f.startClient(Method::Bye, "z9hG4bKb1", "BYE-1");
  ClientTransaction* tcp = f.startClient(Method::Bye, "z9hG4bKb2", "BYE-2", TransportKind::Tcp);
  f.runTo(100);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(200, "z9hG4bKb1", Method::Bye)).disposition ==
             ResponseDisposition::PassToTu);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(200, "z9hG4bKb2", Method::Bye)).disposition ==
             ResponseDisposition::PassToTu);
  BOOST_TEST(udp->state() == State::Completed);
  BOOST_TEST(f.user.terminatedAt(tcp) == 100);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(200, "z9hG4bKb1", Method::Bye)).disposition ==
             ResponseDisposition::Absorbed);
  f.runTo(10000);
  BOOST_TEST(f.user.terminatedAt(udp) == 5100);
  BOOST_TEST(f.sink.timesOf("BYE-1") == (Times{0}), boost::test_tools::per_element());
  BOOST_TEST(f.user.timeouts.empty());
}

// 17.1.3: responses match on branch + CSeq method, so a CANCEL and its INVITE sharing a branch
// are two transactions.
BOOST_AUTO_TEST_CASE(responses_match_on_branch_and_cseq_method) {
  LayerFixture f;
  ClientTransaction* invite = f.startClient(Method::Invite, "z9hG4bKx", "INVITE-1");
  ClientTransaction* cancel = f.startClient(Method::Cancel, "z9hG4bKx", "CANCEL-1");
  BOOST_REQUIRE(invite != nullptr);
  BOOST_REQUIRE(cancel != nullptr);
  BOOST_TEST(invite != cancel);
  const auto ok = f.layer->receiveResponse(makeResponse(200, "z9hG4bKx", Method::Cancel));
  BOOST_TEST(ok.transaction == cancel);
  BOOST_TEST(invite->state() == State::Calling);
  const auto terminated = f.layer->receiveResponse(makeResponse(487, "z9hG4bKx", Method::Invite));
  BOOST_TEST(terminated.transaction == invite);
  BOOST_TEST(invite->state() == State::Completed);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(200, "z9hG4bKx", Method::Bye)).disposition ==
             ResponseDisposition::NoMatch);
  BOOST_TEST(f.layer->receiveResponse(makeResponse(200, "z9hG4bKy", Method::Invite)).disposition ==
             ResponseDisposition::NoMatch);
  BOOST_TEST(f.layer->counters().strayResponses == 2u);
}

BOOST_AUTO_TEST_CASE(impossible_status_codes_are_counted_and_dropped) {
  LayerFixture f;
  f.startClient(Method::Invite, "z9hG4bKx", "INVITE-1");
  for (std::uint16_t status : {0, 99, 700, 65535}) {
    BOOST_TEST(
        f.layer->receiveResponse(makeResponse(status, "z9hG4bKx", Method::Invite)).disposition ==
        ResponseDisposition::Invalid);
  }
  BOOST_TEST(f.layer->counters().invalidInput == 4u);
}

BOOST_AUTO_TEST_CASE(start_refuses_ack_duplicates_and_beyond_the_limit) {
  Config config;
  config.maxClientTransactions = 2;
  LayerFixture f(config);
  const auto ack = f.layer->startClient(OutgoingRequest{Method::Ack, "z9hG4bKa", {}}, "ACK");
  BOOST_TEST(ack.error == StartError::InvalidRequest);
  BOOST_TEST(f.layer->startClient(OutgoingRequest{Method::Bye, "", {}}, "BYE").error ==
             StartError::InvalidRequest);
  BOOST_TEST(f.startClient(Method::Bye, "z9hG4bK1", "BYE-1") != nullptr);
  BOOST_TEST(f.layer->startClient(OutgoingRequest{Method::Bye, "z9hG4bK1", {}}, "BYE").error ==
             StartError::DuplicateKey);
  BOOST_TEST(f.startClient(Method::Bye, "z9hG4bK2", "BYE-2") != nullptr);
  BOOST_TEST(f.layer->startClient(OutgoingRequest{Method::Bye, "z9hG4bK3", {}}, "BYE").error ==
             StartError::TableFull);
  BOOST_TEST(f.layer->clientCount() == 2u);
}

// 17.1.4: a transport failure informs the TU and ends the transaction.
BOOST_AUTO_TEST_CASE(transport_errors) {
  LayerFixture f;
  f.sink.fail = true;
  const auto refused = f.layer->startClient(OutgoingRequest{Method::Invite, "z9hG4bK1", {}}, "I");
  BOOST_TEST(refused.error == StartError::TransportError);
  BOOST_TEST(f.layer->clientCount() == 0u);

  f.sink.fail = false;
  ClientTransaction* tx = f.startClient(Method::Invite, "z9hG4bK2", "INVITE-2");
  f.sink.fail = true;
  f.runTo(1000);
  BOOST_REQUIRE(f.user.transportErrors.size() == 1u);
  BOOST_TEST(f.user.transportErrors[0] == tx);
  BOOST_TEST(f.user.terminatedAt(tx) == 500);
  BOOST_TEST(f.layer->counters().transportErrors == 2u);
}

// 17.1.4 for stream transports: a connection that fails after the send (connect refused, TLS
// handshake failed, closed with output queued) ends every client transaction toward that
// address over that transport at once — not at Timer B/F — and no other.
BOOST_AUTO_TEST_CASE(a_failed_destination_ends_its_transactions_at_once) {
  const auto at = [](TransportKind kind, std::uint16_t port) {
    sipha::transport::Peer p = peer(kind);
    auto* in = reinterpret_cast<sockaddr_in*>(&p.address);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(0x7f000001);
    p.addressLength = sizeof(sockaddr_in);
    return p;
  };
  LayerFixture f;
  const auto start = [&](std::string_view branch, const sipha::transport::Peer& to) {
    return f.layer->startClient(OutgoingRequest{Method::Invite, branch, to}, "INVITE").transaction;
  };
  ClientTransaction* phone = start("z9hG4bKa", at(TransportKind::Tls, 5061));
  ClientTransaction* phoneAgain = start("z9hG4bKb", at(TransportKind::Tls, 5061));
  ClientTransaction* otherPort = start("z9hG4bKc", at(TransportKind::Tls, 5062));
  ClientTransaction* otherKind = start("z9hG4bKd", at(TransportKind::Tcp, 5061));
  BOOST_REQUIRE(phone && phoneAgain && otherPort && otherKind);
  f.runTo(10);

  BOOST_TEST(f.layer->failDestination(at(TransportKind::Tls, 5061)) == 2u);
  BOOST_REQUIRE(f.user.transportErrors.size() == 2u);
  BOOST_TEST(f.user.terminatedAt(phone) == 10);
  BOOST_TEST(f.user.terminatedAt(phoneAgain) == 10);
  BOOST_TEST(f.layer->counters().transportErrors == 2u);
  BOOST_TEST(f.layer->clientCount() == 2u);  // reaped; the other two live on
  BOOST_TEST(otherPort->state() != State::Terminated);
  BOOST_TEST(otherKind->state() != State::Terminated);
  // Nothing left toward it: a second report ends nothing.
  BOOST_TEST(f.layer->failDestination(at(TransportKind::Tls, 5061)) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
