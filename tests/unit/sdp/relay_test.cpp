#include <boost/test/unit_test.hpp>
#include <string>

#include "samples.hpp"
#include "sdp/relay.hpp"

using namespace sipha::sdp;

namespace {

std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto pos = out.find(from);
  BOOST_REQUIRE(pos != std::string::npos);
  out.replace(pos, from.size(), to);
  return out;
}

constexpr std::string_view kBob =
    "v=0\n"
    "o=bob 5 1 IN IP4 192.0.2.30\n"
    "s=-\n"
    "c=IN IP4 192.0.2.30\n"
    "t=0 0\n"
    "m=audio 5000 RTP/AVP 0\n";

// Alice's leg uses the RFC 3264 form, Bob's the RFC 2543 form (sip-hold-rfc3264 = false).
struct Call {
  LegSdpState alice;
  LegSdpState bob;
  OfferDirections pending;

  RelayResult aliceOffers(std::string_view body) {
    auto r = relaySdp({body, BodyRole::Offer, HoldStyle::Rfc2543, nullptr, {}}, alice, bob);
    pending = r.offer;
    return r;
  }
  RelayResult bobAnswers(std::string_view body) {
    return relaySdp({body, BodyRole::Answer, HoldStyle::Rfc3264, &pending, {}}, bob, alice);
  }
  RelayResult bobOffers(std::string_view body) {
    auto r = relaySdp({body, BodyRole::Offer, HoldStyle::Rfc3264, nullptr, {}}, bob, alice);
    pending = r.offer;
    return r;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(relay)

BOOST_AUTO_TEST_CASE(hold_and_resume_across_forms_with_versions) {
  Call call;
  // Initial offer and answer pass as they are.
  auto r = call.aliceOffers(test::kAudio);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.body == std::string(test::kAudio));
  BOOST_TEST(!r.translated);
  BOOST_TEST(!r.hold.anyHeld());
  r = call.bobAnswers(kBob);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.body == std::string(kBob));

  // Alice holds with a=sendonly: Bob sees c=0.0.0.0 and version 2.
  r = call.aliceOffers(test::kAudioSendOnly);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.hold.onHold());
  BOOST_TEST(r.translated);
  BOOST_TEST(r.body == replaced(test::kAudioSendOnly, "c=IN IP4 192.0.2.20", "c=IN IP4 0.0.0.0"));
  // Bob answers as before (same o=): Alice gets a=recvonly and Bob's version moves to 2.
  r = call.bobAnswers(kBob);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.body == replaced(std::string(kBob) + "a=recvonly\n", "bob 5 1", "bob 5 2"));

  // The same hold re-sent (e.g. a session refresh) keeps both versions.
  r = call.aliceOffers(test::kAudioSendOnly);
  BOOST_TEST(r.body.find("o=- 100 2 ") != std::string::npos);
  r = call.bobAnswers(kBob);
  BOOST_TEST(r.body.find("o=bob 5 2 ") != std::string::npos);

  // Resume: back to the plain bodies, one version more on each leg.
  r = call.aliceOffers(replaced(test::kAudio, "100 1", "100 3"));
  BOOST_TEST(r.body == replaced(test::kAudio, "100 1", "100 3"));
  BOOST_TEST(!r.hold.anyHeld());
  r = call.bobAnswers(kBob);
  BOOST_TEST(r.body == replaced(kBob, "bob 5 1", "bob 5 3"));
}

BOOST_AUTO_TEST_CASE(rfc2543_hold_from_bob_reaches_alice_as_sendonly_with_his_address) {
  Call call;
  BOOST_REQUIRE(call.aliceOffers(test::kAudio).ok());
  BOOST_REQUIRE(call.bobAnswers(kBob).ok());
  const auto hold =
      replaced(replaced(kBob, "c=IN IP4 192.0.2.30", "c=IN IP4 0.0.0.0"), "bob 5 1", "bob 5 2");
  auto r = call.bobOffers(hold);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST((r.hold.style() == HoldStyle::Rfc2543));
  BOOST_TEST(r.body == std::string(replaced(kBob, "bob 5 1", "bob 5 2")) + "a=sendonly\n");
  // Alice answers recvonly (RFC 3264): Bob's leg is RFC 2543, the answer needs no change.
  const auto answer = std::string(replaced(test::kAudio, "100 1", "100 2")) + "a=recvonly\n";
  r = relaySdp({answer, BodyRole::Answer, HoldStyle::Rfc2543, &call.pending, {}}, call.alice,
               call.bob);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.body == answer);
}

BOOST_AUTO_TEST_CASE(early_media_answer_then_the_same_answer_in_200_keep_the_version) {
  Call call;
  BOOST_REQUIRE(call.aliceOffers(test::kAudio).ok());
  const auto early = call.bobAnswers(kBob);  // unreliable 183
  const auto final = call.bobAnswers(kBob);  // 200
  BOOST_REQUIRE(early.ok());
  BOOST_REQUIRE(final.ok());
  BOOST_TEST(early.body == final.body);
  BOOST_TEST(call.alice.version() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_bodies_are_refused_without_touching_the_legs) {
  Call call;
  BOOST_REQUIRE(call.aliceOffers(test::kAudio).ok());
  const auto aliceBefore = call.alice;
  const auto bobBefore = call.bob;
  auto r = call.aliceOffers("v=0\no=broken\n");
  BOOST_TEST((r.error == SdpError::MalformedOrigin));
  BOOST_TEST(r.body.empty());
  // An RFC 2543 hold toward an RFC 3264 leg with no real address known anywhere.
  Call blind;
  const auto zero = replaced(test::kAudioZero, "IN IP4 192.0.2.20", "IN IP4 0.0.0.0");
  r = relaySdp({zero, BodyRole::Offer, HoldStyle::Rfc3264, nullptr, {}}, blind.alice, blind.bob);
  BOOST_TEST((r.error == SdpError::NoAddressForHold));
  BOOST_TEST(!blind.bob.hasSent());
  BOOST_TEST((call.alice == aliceBefore));
  BOOST_TEST((call.bob == bobBefore));
  // Limits come from the request.
  SdpLimits tiny;
  tiny.maxBytes = 10;
  r = relaySdp({test::kAudio, BodyRole::Offer, HoldStyle::Rfc3264, nullptr, tiny}, call.alice,
               call.bob);
  BOOST_TEST((r.error == SdpError::TooLarge));
}

// A transfer sipd performs offers the held transferee's last session to the target (docs/b2bua.md
// "Transfers"): the hold between the old parties must not reach the new one, or the new call is
// one-way (issue: attended transfer always holds first).
BOOST_AUTO_TEST_CASE(a_fresh_offer_resumes_held_streams) {
  // The transferee's hold answer (recvonly), offered afresh: sendrecv, same address and port.
  const auto recvonly = replaced(test::kAudioSendOnly, "a=sendonly", "a=recvonly");
  LegSdpState transferee, target;
  RelayRequest request{recvonly, BodyRole::Offer, HoldStyle::Rfc3264, nullptr, {}};
  request.resume = true;
  auto r = relaySdp(request, transferee, target);
  BOOST_REQUIRE(r.ok());
  // sendrecv is the default (RFC 3264 5.1): the hold attribute is gone, none other is written.
  BOOST_TEST(r.body.find("a=recvonly") == std::string::npos);
  BOOST_TEST(r.body.find("a=sendonly") == std::string::npos);
  BOOST_TEST(r.body.find("a=inactive") == std::string::npos);
  BOOST_TEST(r.body.find("m=audio 4000 RTP/AVP 0") != std::string::npos);
  BOOST_TEST(r.body.find("c=IN IP4 192.0.2.20") != std::string::npos);
  BOOST_TEST((r.offer.direction[0] == Direction::SendRecv));  // what the answer is checked against

  // An RFC 2543 hold (c=0.0.0.0) offered afresh gets the sender's last real address, even to
  // a leg configured for the RFC 2543 form (a resumed stream needs an address in both forms).
  LegSdpState sender, receiver;
  RelayRequest first{test::kAudio, BodyRole::Offer, HoldStyle::Rfc2543, nullptr, {}};
  BOOST_REQUIRE(relaySdp(first, sender, receiver).ok());  // 192.0.2.20 becomes known
  RelayRequest zero{test::kAudioZero, BodyRole::Offer, HoldStyle::Rfc2543, nullptr, {}};
  zero.resume = true;
  r = relaySdp(zero, sender, receiver);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.body.find("0.0.0.0") == std::string::npos);
  BOOST_TEST(r.body.find("c=IN IP4 192.0.2.20") != std::string::npos);

  // Without `resume` the same hold answer passes as it is (the ordinary relay of a hold).
  LegSdpState a, b;
  r = relaySdp({recvonly, BodyRole::Offer, HoldStyle::Rfc3264, nullptr, {}}, a, b);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.body.find("a=recvonly") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
