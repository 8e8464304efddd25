#include <boost/test/unit_test.hpp>
#include <ostream>

#include "sdp/offer_answer.hpp"

using namespace sipha::sdp;

namespace sipha::sdp {
std::ostream& operator<<(std::ostream& os, OaVerdict v) { return os << "verdict " << int(v); }
std::ostream& operator<<(std::ostream& os, BodyRole r) { return os << "role " << int(r); }
std::ostream& operator<<(std::ostream& os, Side s) { return os << "side " << int(s); }
}  // namespace sipha::sdp

namespace {

constexpr auto S = Flow::Sent;
constexpr auto R = Flow::Received;

void expect(OfferAnswer& oa, Flow f, OaEvent e, bool sdp, OaVerdict verdict, BodyRole role) {
  const auto predicted = oa.check(f, e, sdp);
  const auto before = oa;
  const auto out = oa.apply(f, e, sdp);
  BOOST_TEST(predicted.verdict == out.verdict);
  BOOST_TEST(predicted.role == out.role);
  BOOST_TEST(out.verdict == verdict);
  BOOST_TEST(out.role == role);
  if (verdict == OaVerdict::Glare491 || verdict == OaVerdict::Retry500) {
    BOOST_TEST((oa == before));  // a refused request changes nothing
  }
}

void ok(OfferAnswer& oa, Flow f, OaEvent e, bool sdp, BodyRole role) {
  expect(oa, f, e, sdp, OaVerdict::Ok, role);
}

// A dialog where sipd sent INVITE with an offer, got 200 with the answer and sent the ACK.
OfferAnswer established() {
  OfferAnswer oa;
  ok(oa, S, OaEvent::Invite, true, BodyRole::Offer);
  ok(oa, R, OaEvent::InviteSuccess, true, BodyRole::Answer);
  ok(oa, S, OaEvent::Ack, false, BodyRole::None);
  return oa;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(offer_answer)

BOOST_AUTO_TEST_CASE(invite_offer_answer_in_200) {
  OfferAnswer oa;
  ok(oa, S, OaEvent::Invite, true, BodyRole::Offer);
  BOOST_TEST(oa.offerPending());
  BOOST_TEST(oa.offerOwner() == Side::Local);
  BOOST_TEST((oa.offerCarrier() == OaEvent::Invite));
  BOOST_TEST(oa.inviteOwner() == Side::Local);
  BOOST_TEST(!oa.established());
  ok(oa, R, OaEvent::InviteSuccess, true, BodyRole::Answer);
  BOOST_TEST(!oa.offerPending());
  BOOST_TEST(oa.established());
  BOOST_TEST(oa.awaitingAck());
  ok(oa, S, OaEvent::Ack, false, BodyRole::None);
  BOOST_TEST(oa.inviteOwner() == Side::None);
  BOOST_TEST(!oa.awaitingAck());
}

BOOST_AUTO_TEST_CASE(offerless_invite_offer_in_200_answer_in_ack) {
  OfferAnswer oa;  // sipd is the UAS of the peer's INVITE
  ok(oa, R, OaEvent::Invite, false, BodyRole::None);
  BOOST_TEST(!oa.offerPending());
  ok(oa, S, OaEvent::InviteSuccess, true, BodyRole::Offer);
  BOOST_TEST(oa.offerOwner() == Side::Local);
  BOOST_TEST((oa.offerCarrier() == OaEvent::InviteSuccess));
  ok(oa, R, OaEvent::Ack, true, BodyRole::Answer);
  BOOST_TEST(oa.established());
  BOOST_TEST(!oa.offerPending());
}

BOOST_AUTO_TEST_CASE(ack_without_the_answer_drops_the_offer) {
  OfferAnswer oa;
  ok(oa, S, OaEvent::Invite, false, BodyRole::None);
  ok(oa, R, OaEvent::InviteSuccess, true, BodyRole::Offer);
  BOOST_TEST(oa.offerOwner() == Side::Remote);
  expect(oa, S, OaEvent::Ack, false, OaVerdict::MissingSdp, BodyRole::None);
  BOOST_TEST(!oa.offerPending());
  BOOST_TEST(oa.inviteOwner() == Side::None);
  BOOST_TEST(!oa.established());
}

BOOST_AUTO_TEST_CASE(success_without_sdp_is_reported) {
  OfferAnswer oa;
  ok(oa, S, OaEvent::Invite, true, BodyRole::Offer);
  expect(oa, R, OaEvent::InviteSuccess, false, OaVerdict::MissingSdp, BodyRole::None);
  BOOST_TEST(!oa.offerPending());
  OfferAnswer offerless;
  ok(offerless, R, OaEvent::Invite, false, BodyRole::None);
  expect(offerless, S, OaEvent::InviteSuccess, false, OaVerdict::MissingSdp, BodyRole::None);
}

BOOST_AUTO_TEST_CASE(answer_in_reliable_provisional_then_200_repeats_it) {
  OfferAnswer oa;
  ok(oa, R, OaEvent::Invite, true, BodyRole::Offer);
  BOOST_TEST(oa.offerOwner() == Side::Remote);
  ok(oa, S, OaEvent::ReliableProvisional, true, BodyRole::Answer);
  BOOST_TEST(oa.established());
  ok(oa, R, OaEvent::Prack, false, BodyRole::None);
  ok(oa, S, OaEvent::PrackSuccess, false, BodyRole::None);
  ok(oa, S, OaEvent::ReliableProvisional, true, BodyRole::Ignored);  // RFC 6337: a copy
  ok(oa, S, OaEvent::InviteSuccess, true, BodyRole::Ignored);
  ok(oa, R, OaEvent::Ack, false, BodyRole::None);
  BOOST_TEST(!oa.offerPending());
}

BOOST_AUTO_TEST_CASE(offer_in_reliable_provisional_answer_in_prack) {
  OfferAnswer oa;
  ok(oa, S, OaEvent::Invite, false, BodyRole::None);
  ok(oa, R, OaEvent::ReliableProvisional, true, BodyRole::Offer);
  BOOST_TEST((oa.offerCarrier() == OaEvent::ReliableProvisional));
  ok(oa, S, OaEvent::Prack, true, BodyRole::Answer);
  BOOST_TEST(oa.established());
  ok(oa, R, OaEvent::PrackSuccess, false, BodyRole::None);
  ok(oa, R, OaEvent::InviteSuccess, false, BodyRole::None);  // the exchange is already done
  ok(oa, S, OaEvent::Ack, false, BodyRole::None);

  OfferAnswer missing;
  ok(missing, S, OaEvent::Invite, false, BodyRole::None);
  ok(missing, R, OaEvent::ReliableProvisional, true, BodyRole::Offer);
  expect(missing, S, OaEvent::Prack, false, OaVerdict::MissingSdp, BodyRole::None);
  BOOST_TEST(!missing.offerPending());
}

BOOST_AUTO_TEST_CASE(prack_carries_a_new_offer) {
  OfferAnswer oa;
  ok(oa, S, OaEvent::Invite, true, BodyRole::Offer);
  ok(oa, R, OaEvent::ReliableProvisional, true, BodyRole::Answer);
  ok(oa, S, OaEvent::Prack, true, BodyRole::Offer);
  BOOST_TEST((oa.offerCarrier() == OaEvent::Prack));
  ok(oa, R, OaEvent::PrackSuccess, true, BodyRole::Answer);
  BOOST_TEST(!oa.offerPending());
  // A PRACK 2xx without the answer drops that offer.
  ok(oa, S, OaEvent::Prack, true, BodyRole::Offer);
  expect(oa, R, OaEvent::PrackSuccess, false, OaVerdict::MissingSdp, BodyRole::None);
  BOOST_TEST(!oa.offerPending());
  // A failed PRACK drops it too.
  ok(oa, S, OaEvent::Prack, true, BodyRole::Offer);
  ok(oa, R, OaEvent::PrackFailure, false, BodyRole::None);
  BOOST_TEST(!oa.offerPending());
}

BOOST_AUTO_TEST_CASE(prack_offer_collides_with_an_outstanding_offer) {
  // sipd is the UAC: the peer's early UPDATE offer is unanswered, a PRACK offer must wait.
  OfferAnswer uac;
  ok(uac, S, OaEvent::Invite, true, BodyRole::Offer);
  ok(uac, R, OaEvent::ReliableProvisional, true, BodyRole::Answer);
  ok(uac, R, OaEvent::Update, true, BodyRole::Offer);
  expect(uac, S, OaEvent::Prack, true, OaVerdict::Glare491, BodyRole::None);
  ok(uac, S, OaEvent::Prack, false, BodyRole::None);  // the plain PRACK still goes
  // sipd is the UAS with its own UPDATE offer out: the peer's PRACK offer gets 491.
  OfferAnswer uas;
  ok(uas, R, OaEvent::Invite, true, BodyRole::Offer);
  ok(uas, S, OaEvent::ReliableProvisional, true, BodyRole::Answer);
  ok(uas, S, OaEvent::Update, true, BodyRole::Offer);
  expect(uas, R, OaEvent::Prack, true, OaVerdict::Glare491, BodyRole::None);
  // Only the peer's 2xx answers sipd's UPDATE; a 2xx in the other direction is a stray.
  ok(uas, S, OaEvent::UpdateSuccess, true, BodyRole::Ignored);
  BOOST_TEST(uas.offerOwner() == Side::Local);
  ok(uas, R, OaEvent::UpdateSuccess, true, BodyRole::Answer);
  BOOST_TEST(!uas.offerPending());
}

BOOST_AUTO_TEST_CASE(update_offer_answer_and_failure) {
  auto oa = established();
  ok(oa, R, OaEvent::Update, true, BodyRole::Offer);
  BOOST_TEST(oa.offerOwner() == Side::Remote);
  ok(oa, S, OaEvent::UpdateSuccess, true, BodyRole::Answer);
  BOOST_TEST(!oa.offerPending());
  ok(oa, S, OaEvent::Update, true, BodyRole::Offer);
  ok(oa, R, OaEvent::UpdateFailure, false, BodyRole::None);  // e.g. 491 to our UPDATE
  BOOST_TEST(!oa.offerPending());
  ok(oa, S, OaEvent::Update, false, BodyRole::None);  // a session-timer refresh, no SDP
  ok(oa, R, OaEvent::UpdateSuccess, false, BodyRole::None);
}

BOOST_AUTO_TEST_CASE(update_glare_rfc3311_5_2) {
  auto oa = established();
  ok(oa, S, OaEvent::Update, true, BodyRole::Offer);
  // Our offer is unanswered: their UPDATE offer gets 491; we cannot send another.
  expect(oa, R, OaEvent::Update, true, OaVerdict::Glare491, BodyRole::None);
  expect(oa, S, OaEvent::Update, true, OaVerdict::Glare491, BodyRole::None);
  ok(oa, R, OaEvent::Update, false, BodyRole::None);  // an UPDATE without SDP is fine
  ok(oa, R, OaEvent::UpdateSuccess, true, BodyRole::Answer);

  ok(oa, R, OaEvent::Update, true, BodyRole::Offer);
  // We owe an answer: their second offer gets 500, ours is not allowed.
  expect(oa, R, OaEvent::Update, true, OaVerdict::Retry500, BodyRole::None);
  expect(oa, S, OaEvent::Update, true, OaVerdict::Glare491, BodyRole::None);
  expect(oa, S, OaEvent::Invite, true, OaVerdict::Glare491, BodyRole::None);
  BOOST_TEST(oa.offerOwner() == Side::Remote);
}

BOOST_AUTO_TEST_CASE(reinvite_glare_rfc3261_14) {
  auto oa = established();
  ok(oa, S, OaEvent::Invite, true, BodyRole::Offer);
  // Both sides re-INVITE at once: theirs gets 491 (14.2).
  expect(oa, R, OaEvent::Invite, true, OaVerdict::Glare491, BodyRole::None);
  expect(oa, R, OaEvent::Invite, false, OaVerdict::Glare491, BodyRole::None);
  // Ours gets 491 from them: the offer dies, the session stays as it was, a retry is allowed.
  ok(oa, R, OaEvent::InviteFailure, false, BodyRole::None);
  BOOST_TEST(!oa.offerPending());
  BOOST_TEST(oa.inviteOwner() == Side::None);
  BOOST_TEST(oa.established());
  ok(oa, R, OaEvent::Invite, true, BodyRole::Offer);
  // A second INVITE from them before our final response: 500 (14.2); we may not start one.
  expect(oa, R, OaEvent::Invite, true, OaVerdict::Retry500, BodyRole::None);
  expect(oa, S, OaEvent::Invite, false, OaVerdict::Glare491, BodyRole::None);
  ok(oa, S, OaEvent::InviteSuccess, true, BodyRole::Answer);
  // Until the ACK the INVITE is still open in their direction.
  expect(oa, S, OaEvent::Invite, true, OaVerdict::Glare491, BodyRole::None);
  ok(oa, R, OaEvent::Ack, false, BodyRole::None);
  ok(oa, S, OaEvent::Invite, true, BodyRole::Offer);
}

BOOST_AUTO_TEST_CASE(reinvite_against_pending_update_offer) {
  auto oa = established();
  ok(oa, S, OaEvent::Update, true, BodyRole::Offer);
  expect(oa, R, OaEvent::Invite, true, OaVerdict::Glare491, BodyRole::None);
  ok(oa, R, OaEvent::UpdateSuccess, true, BodyRole::Answer);
  ok(oa, R, OaEvent::Invite, true, BodyRole::Offer);
  // Their re-INVITE offer is unanswered: an UPDATE offer from them is a 500.
  expect(oa, R, OaEvent::Update, true, OaVerdict::Retry500, BodyRole::None);
}

BOOST_AUTO_TEST_CASE(update_during_offerless_invite_waits_for_its_offer) {
  OfferAnswer oa;
  ok(oa, R, OaEvent::Invite, false, BodyRole::None);
  expect(oa, R, OaEvent::Update, true, OaVerdict::Retry500, BodyRole::None);
  expect(oa, S, OaEvent::Update, true, OaVerdict::Glare491, BodyRole::None);
}

BOOST_AUTO_TEST_CASE(failed_invite_drops_the_offer_of_its_provisional) {
  OfferAnswer oa;
  ok(oa, R, OaEvent::Invite, false, BodyRole::None);
  ok(oa, S, OaEvent::ReliableProvisional, true, BodyRole::Offer);
  ok(oa, S, OaEvent::InviteFailure, false, BodyRole::None);
  BOOST_TEST(!oa.offerPending());
  BOOST_TEST(oa.inviteOwner() == Side::None);
}

BOOST_AUTO_TEST_CASE(stray_messages_change_nothing) {
  auto oa = established();
  const auto before = oa;
  ok(oa, S, OaEvent::Ack, true, BodyRole::Ignored);            // no INVITE open
  ok(oa, R, OaEvent::InviteSuccess, true, BodyRole::Ignored);  // a retransmitted 2xx
  ok(oa, R, OaEvent::InviteFailure, false, BodyRole::None);
  ok(oa, R, OaEvent::UpdateSuccess, true, BodyRole::Ignored);  // no UPDATE offer open
  ok(oa, R, OaEvent::PrackFailure, false, BodyRole::None);
  ok(oa, R, OaEvent::ReliableProvisional, true, BodyRole::Ignored);
  BOOST_TEST((oa == before));
  // A failure after the 2xx does not close the INVITE before its ACK.
  ok(oa, S, OaEvent::Invite, false, BodyRole::None);
  ok(oa, R, OaEvent::InviteSuccess, true, BodyRole::Offer);
  ok(oa, R, OaEvent::InviteFailure, false, BodyRole::None);
  BOOST_TEST(oa.awaitingAck());
  BOOST_TEST(oa.offerOwner() == Side::Remote);
  ok(oa, S, OaEvent::Ack, true, BodyRole::Answer);
  // A response in the wrong direction does not close someone else's INVITE.
  ok(oa, S, OaEvent::Invite, true, BodyRole::Offer);
  ok(oa, S, OaEvent::InviteSuccess, true, BodyRole::Ignored);
  BOOST_TEST(oa.offerOwner() == Side::Local);
}

BOOST_AUTO_TEST_CASE(serialized_state_round_trips) {
  OfferAnswer oa;
  const auto check = [](const OfferAnswer& o) {
    const auto text = o.serialize();
    const auto back = OfferAnswer::deserialize(text);
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == o));
  };
  check(oa);
  ok(oa, R, OaEvent::Invite, false, BodyRole::None);
  check(oa);
  ok(oa, S, OaEvent::InviteSuccess, true, BodyRole::Offer);
  check(oa);
  // The restored machine continues the exchange.
  auto restored = *OfferAnswer::deserialize(oa.serialize());
  ok(restored, R, OaEvent::Ack, true, BodyRole::Answer);
  BOOST_TEST(restored.established());
  check(restored);
  ok(restored, S, OaEvent::Update, true, BodyRole::Offer);
  check(restored);

  for (const char* bad : {"", "oa1 ", "oa2 0a00000", "oa1 3a00000", "oa1 0z00000", "oa1 0a00200",
                          "oa1 0a000000", "oa1 0a00010"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!OfferAnswer::deserialize(bad)); }
  }
}

BOOST_AUTO_TEST_SUITE_END()
