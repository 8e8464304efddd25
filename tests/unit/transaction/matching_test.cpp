// Transaction matching (RFC 3261 17.2.3, 9.2, 8.2.2.2), the table limit and scale.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "layer_fixture.hpp"

using namespace sipha::testing;
using namespace sipha::transaction;
using sipha::sip::Method;
using sipha::transport::TransportKind;

BOOST_AUTO_TEST_SUITE(matching)

// A BIG-IP pair has been seen reusing branches after its own failover: the same branch from
// another sent-by is another transaction (17.2.3 matches branch + sent-by + method).
BOOST_AUTO_TEST_CASE(same_branch_other_sent_by_is_another_transaction) {
  LayerFixture f;
  auto first = makeRequest(Method::Invite, "z9hG4bKreused");
  auto second = first;
  second.sentBy = "10.0.0.2:5060";
  second.callId = "call-2@10.0.0.2";
  ServerTransaction* a = f.newServer(first);
  ServerTransaction* b = f.newServer(second);
  BOOST_REQUIRE(a != nullptr);
  BOOST_REQUIRE(b != nullptr);
  BOOST_TEST(a != b);
  BOOST_TEST(f.layer->serverCount() == 2u);
  b->respond(486, "486-b");
  const auto again = f.layer->receiveRequest(second);
  BOOST_TEST(again.transaction == b);
  BOOST_TEST(f.sink.timesOf("486-b").size() == 2u);
  BOOST_TEST(a->state() == State::Proceeding);
}

BOOST_AUTO_TEST_CASE(same_branch_other_method_is_another_transaction) {
  LayerFixture f;
  ServerTransaction* invite = f.newServer(makeRequest(Method::Invite, "z9hG4bKsame"));
  ServerTransaction* options = f.newServer(makeRequest(Method::Options, "z9hG4bKsame"));
  BOOST_REQUIRE(invite != nullptr);
  BOOST_REQUIRE(options != nullptr);
  BOOST_TEST(invite != options);
  BOOST_TEST(f.layer->serverCount() == 2u);
}

BOOST_AUTO_TEST_CASE(sent_by_host_compares_case_insensitively_branch_does_not) {
  LayerFixture f;
  auto request = makeRequest(Method::Options, "z9hG4bKcase");
  request.sentBy = "Proxy.Example.COM:5060";
  ServerTransaction* tx = f.newServer(request);
  auto lower = request;
  lower.sentBy = "proxy.example.com:5060";
  BOOST_TEST(f.layer->receiveRequest(lower).transaction == tx);
  auto otherBranch = request;
  otherBranch.branch = "z9hG4bKCASE";
  otherBranch.callId = "other-call";
  BOOST_TEST(f.layer->receiveRequest(otherBranch).disposition ==
             RequestDisposition::NewTransaction);
}

// 9.2: CANCEL is a transaction of its own and finds the INVITE it cancels by the same key with
// method INVITE.
BOOST_AUTO_TEST_CASE(cancel_is_its_own_transaction_and_finds_its_invite) {
  LayerFixture f;
  ServerTransaction* invite = f.newServer(makeRequest(Method::Invite, "z9hG4bKinv"));
  const auto cancel = makeRequest(Method::Cancel, "z9hG4bKinv");
  const auto outcome = f.layer->receiveRequest(cancel);
  BOOST_TEST(outcome.disposition == RequestDisposition::NewTransaction);
  BOOST_TEST(outcome.transaction != invite);
  BOOST_TEST(outcome.transaction->kind() == TransactionKind::NonInviteServer);
  BOOST_TEST(outcome.cancelTarget == invite);
  BOOST_TEST(f.layer->findCancelTarget(cancel) == invite);
  // Retransmitted CANCEL: its own transaction, not the INVITE's.
  const auto again = f.layer->receiveRequest(cancel);
  BOOST_TEST(again.disposition == RequestDisposition::Retransmission);
  BOOST_TEST(again.transaction == outcome.transaction);

  auto foreign = cancel;  // same branch, other sent-by: nothing to cancel (the TU answers 481)
  foreign.sentBy = "10.9.9.9:5060";
  foreign.callId = "other-call";
  const auto orphan = f.layer->receiveRequest(foreign);
  BOOST_TEST(orphan.disposition == RequestDisposition::NewTransaction);
  BOOST_TEST(orphan.cancelTarget == nullptr);
}

// 8.2.2.2: no To tag, same From tag, Call-ID and CSeq as an ongoing transaction, another branch:
// a merged request, answered 482.
BOOST_AUTO_TEST_CASE(merged_request_is_reported) {
  LayerFixture f;
  auto first = makeRequest(Method::Invite, "z9hG4bKpath1");
  ServerTransaction* tx = f.newServer(first);
  auto forked = first;
  forked.branch = "z9hG4bKpath2";
  forked.sentBy = "10.0.0.7:5060";
  const auto outcome = f.layer->receiveRequest(forked);
  BOOST_TEST(outcome.disposition == RequestDisposition::Merged);
  BOOST_TEST(outcome.transaction == tx);
  BOOST_TEST(f.layer->counters().mergedRequests == 1u);
  BOOST_TEST(f.layer->serverCount() == 1u);

  auto inDialog = forked;  // with a To tag the check does not apply
  inDialog.toTag = "to-1";
  BOOST_TEST(f.layer->receiveRequest(inDialog).disposition == RequestDisposition::NewTransaction);
  auto otherCseq = forked;
  otherCseq.branch = "z9hG4bKpath3";
  otherCseq.cseq = 2;
  BOOST_TEST(f.layer->receiveRequest(otherCseq).disposition == RequestDisposition::NewTransaction);
}

BOOST_AUTO_TEST_CASE(merge_check_ends_with_the_transaction) {
  LayerFixture f;
  auto first = makeRequest(Method::Options, "z9hG4bKp1", TransportKind::Tcp);
  ServerTransaction* tx = f.newServer(first);
  tx->respond(200, "200");  // reliable: terminated at once
  auto later = first;
  later.branch = "z9hG4bKp2";
  BOOST_TEST(f.layer->receiveRequest(later).disposition == RequestDisposition::NewTransaction);
}

// 17.2.3: requests without the magic cookie match on Request-URI, To tag, From tag, Call-ID,
// CSeq, top Via; the ACK matches with the To tag of our response.
BOOST_AUTO_TEST_CASE(rfc2543_fallback_matching) {
  LayerFixture f;
  auto invite = makeRequest(Method::Invite, "");
  invite.topVia = "SIP/2.0/UDP old.example.com";
  invite.sentBy = "old.example.com";
  ServerTransaction* tx = f.newServer(invite);
  BOOST_REQUIRE(tx != nullptr);
  BOOST_TEST(tx->branch().empty());
  BOOST_TEST(f.layer->receiveRequest(invite).transaction == tx);

  auto legacyBranch = invite;  // a branch without the cookie is ignored for matching
  legacyBranch.branch = "1234";
  BOOST_TEST(f.layer->receiveRequest(legacyBranch).transaction == tx);

  auto otherVia = invite;
  otherVia.topVia = "SIP/2.0/UDP other.example.com";
  otherVia.toTag = "t";  // not a merge candidate
  BOOST_TEST(f.layer->receiveRequest(otherVia).disposition == RequestDisposition::NewTransaction);

  auto cancel = invite;
  cancel.method = cancel.cseqMethod = Method::Cancel;
  BOOST_TEST(f.layer->findCancelTarget(cancel) == tx);

  tx->respond(404, "404");
  auto ack = invite;
  ack.method = ack.cseqMethod = Method::Ack;
  ack.toTag = "srv-tag";
  const auto outcome = f.layer->receiveRequest(ack);
  BOOST_TEST(outcome.disposition == RequestDisposition::AckAbsorbed);
  BOOST_TEST(outcome.transaction == tx);
  BOOST_TEST(tx->state() == State::Confirmed);
}

// A limit on live server transactions: beyond it the daemon answers 503 statelessly, while
// retransmissions still reach their transactions.
BOOST_AUTO_TEST_CASE(table_limit_reports_overload) {
  Config config;
  config.maxServerTransactions = 2;
  LayerFixture f(config);
  auto r1 = makeRequest(Method::Options, "z9hG4bK1", TransportKind::Tcp);
  auto r2 = makeRequest(Method::Options, "z9hG4bK2");
  auto r3 = makeRequest(Method::Options, "z9hG4bK3");
  r2.callId = "c2";
  r3.callId = "c3";
  ServerTransaction* t1 = f.newServer(r1);
  BOOST_REQUIRE(f.newServer(r2) != nullptr);
  const auto rejected = f.layer->receiveRequest(r3);
  BOOST_TEST(rejected.disposition == RequestDisposition::Overloaded);
  BOOST_TEST(rejected.transaction == nullptr);
  BOOST_TEST(f.layer->receiveRequest(r2).disposition == RequestDisposition::Retransmission);
  BOOST_TEST(f.layer->counters().overloadRejected == 1u);
  t1->respond(200, "200");  // reliable: frees its slot
  BOOST_TEST(f.layer->receiveRequest(r3).disposition == RequestDisposition::NewTransaction);
  BOOST_TEST(f.layer->serverCount() == 2u);
}

// A switchover drain (docs/replication.md): with mayCreate false nothing new is created, a
// merged request is not even looked for, while retransmissions and ACKs still reach their
// transactions and an ACK for a 2xx still goes to the TU.
BOOST_AUTO_TEST_CASE(no_new_transaction_when_creation_is_not_allowed) {
  LayerFixture f;
  auto invite = makeRequest(Method::Invite, "z9hG4bKlive");
  ServerTransaction* tx = f.newServer(invite);
  BOOST_REQUIRE(tx != nullptr);
  tx->respond(486, "486-live");

  auto fresh = makeRequest(Method::Register, "z9hG4bKfresh");
  fresh.callId = "call-fresh";
  auto refused = f.layer->receiveRequest(fresh, false);
  BOOST_TEST(refused.disposition == RequestDisposition::NotCreated);
  BOOST_TEST(refused.transaction == nullptr);
  auto merged = invite;  // same From tag, Call-ID and CSeq, another branch: not even merged
  merged.branch = "z9hG4bKother";
  BOOST_TEST(f.layer->receiveRequest(merged, false).disposition == RequestDisposition::NotCreated);
  BOOST_TEST(f.layer->serverCount() == 1u);
  BOOST_TEST(f.layer->counters().mergedRequests == 0u);

  const auto again = f.layer->receiveRequest(invite, false);
  BOOST_TEST(again.disposition == RequestDisposition::Retransmission);
  BOOST_TEST(again.transaction == tx);
  BOOST_TEST(f.sink.timesOf("486-live").size() == 2u);
  auto ack = invite;
  ack.method = ack.cseqMethod = Method::Ack;
  ack.toTag = "srv-tag";
  BOOST_TEST(f.layer->receiveRequest(ack, false).disposition == RequestDisposition::AckAbsorbed);
  auto ack2xx = makeRequest(Method::Ack, "z9hG4bKack2xx");
  ack2xx.toTag = "t";
  BOOST_TEST(f.layer->receiveRequest(ack2xx, false).disposition == RequestDisposition::AckForTu);

  // Allowed again: the same request creates its transaction.
  BOOST_TEST(f.layer->receiveRequest(fresh).disposition == RequestDisposition::NewTransaction);
  BOOST_TEST(f.layer->serverCount() == 2u);
}

// Scale: many live transactions in the table and on the wheel, all ending on time.
BOOST_AUTO_TEST_CASE(many_transactions_all_terminate) {
  LayerFixture f;
  constexpr int kCount = 20000;
  std::vector<std::string> branches;
  branches.reserve(kCount);
  for (int i = 0; i < kCount; ++i) branches.push_back("z9hG4bK-" + std::to_string(i));
  std::vector<ServerTransaction*> servers;
  for (int i = 0; i < kCount; ++i) {
    auto request = makeRequest(i % 2 ? Method::Invite : Method::Register, branches[i]);
    const std::string callId = "call-" + std::to_string(i);
    request.callId = callId;
    servers.push_back(f.newServer(request));
    BOOST_REQUIRE(servers.back() != nullptr);
    f.startClient(Method::Options, branches[i], "OPTIONS");
  }
  BOOST_TEST(f.layer->serverCount() == static_cast<std::size_t>(kCount));
  BOOST_TEST(f.layer->clientCount() == static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    const auto outcome = f.layer->receiveResponse(makeResponse(200, branches[i], Method::Options));
    BOOST_REQUIRE(outcome.disposition == ResponseDisposition::PassToTu);
    BOOST_REQUIRE(servers[i]->respond(i % 3 ? 200 : 486, "final") == RespondResult::Ok);
  }
  f.runTo(100000);
  BOOST_TEST(f.layer->serverCount() == 0u);
  BOOST_TEST(f.layer->clientCount() == 0u);
  BOOST_TEST(f.wheel.empty());
  BOOST_TEST(f.layer->counters().terminated == 2u * kCount);
  BOOST_TEST(f.user.terminated.size() == 2u * kCount);  // each reported exactly once
}

BOOST_AUTO_TEST_SUITE_END()
