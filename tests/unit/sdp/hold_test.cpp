#include <boost/test/unit_test.hpp>
#include <string>

#include "samples.hpp"
#include "sdp/hold.hpp"
#include "sdp/parser.hpp"

using namespace sipha::sdp;

namespace {

SessionDescription parsed(std::string_view body) {
  auto r = parseSdp(body);
  BOOST_REQUIRE_MESSAGE(r.ok(), errorName(r.error));
  return std::move(r.sdp);
}

HoldInfo holdOf(std::string_view body) { return analyzeHold(parsed(body)); }

std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto pos = out.find(from);
  BOOST_REQUIRE(pos != std::string::npos);
  out.replace(pos, from.size(), to);
  return out;
}

Translated offerTo(std::string_view body, HoldStyle target, KnownAddress known = {}) {
  const auto sdp = parsed(body);
  return translateOffer(sdp, body, target, known);
}

constexpr KnownAddress kAliceAddress{"IP4", "192.0.2.20"};

// Bob's answers to a hold offer (RFC 2543 peers ignore a=sendonly and answer sendrecv).
constexpr std::string_view kBobAnswer =
    "v=0\n"
    "o=bob 5 1 IN IP4 192.0.2.30\n"
    "s=-\n"
    "c=IN IP4 192.0.2.30\n"
    "t=0 0\n"
    "m=audio 5000 RTP/AVP 0\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(hold)

BOOST_AUTO_TEST_CASE(rfc3264_hold_detected_at_media_and_session_level) {
  const auto media = holdOf(test::kAudioSendOnly);
  BOOST_TEST(media.onHold());
  BOOST_TEST((media.style() == HoldStyle::Rfc3264));
  BOOST_TEST(media.holdAttribute == 1u);
  BOOST_TEST(media.zeroAddress == 0u);

  const auto session = holdOf(replaced(test::kAudio, "t=0 0\n", "t=0 0\na=inactive\n"));
  BOOST_TEST(session.onHold());
  BOOST_TEST((session.style() == HoldStyle::Rfc3264));
}

BOOST_AUTO_TEST_CASE(rfc2543_hold_detected_at_session_and_media_level) {
  const auto session = holdOf(test::kAudioZero);
  BOOST_TEST(session.onHold());
  BOOST_TEST((session.style() == HoldStyle::Rfc2543));
  BOOST_TEST(session.zeroAddress == 1u);
  BOOST_TEST(session.holdAttribute == 0u);

  const auto media = holdOf(replaced(test::kAudio, "a=rtpmap:0 PCMU/8000\n", "c=IN IP4 0.0.0.0\n"));
  BOOST_TEST(media.onHold());
  BOOST_TEST((media.style() == HoldStyle::Rfc2543));

  const auto v6 =
      holdOf("v=0\no=- 1 1 IN IP6 2001:db8::1\ns=-\nc=IN IP6 ::\nt=0 0\nm=audio 1 RTP/AVP 0\n");
  BOOST_TEST(v6.onHold());
}

BOOST_AUTO_TEST_CASE(active_and_receive_only_streams_are_not_held) {
  BOOST_TEST(!holdOf(test::kAudio).anyHeld());
  BOOST_TEST(!holdOf(replaced(test::kAudio, "t=0 0\n", "t=0 0\na=recvonly\n")).anyHeld());
  BOOST_TEST(!holdOf(test::kAudioVideo).onHold());
}

BOOST_AUTO_TEST_CASE(partial_hold_and_disabled_streams) {
  // Video held, audio active: some streams held, the call is not on hold.
  auto body = std::string(test::kAudioVideo) + "a=sendonly\n";
  const auto partial = holdOf(body);
  BOOST_TEST(partial.anyHeld());
  BOOST_TEST(!partial.onHold());
  BOOST_TEST(partial.held == 2u);
  // A disabled stream (port 0) counts neither way.
  const auto disabled = holdOf(replaced(body, "m=audio 49170", "m=audio 0"));
  BOOST_TEST(disabled.active == 2u);
  BOOST_TEST(disabled.onHold());
  // No active stream at all: not a hold.
  BOOST_TEST(!holdOf("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\nm=audio 0 RTP/AVP 0\n").onHold());
}

BOOST_AUTO_TEST_CASE(rfc3264_offer_to_rfc2543_leg_gets_zero_address) {
  const auto t = offerTo(test::kAudioSendOnly, HoldStyle::Rfc2543);
  BOOST_TEST((t.error == SdpError::None));
  BOOST_TEST(t.changed);
  BOOST_TEST(t.body == replaced(test::kAudioSendOnly, "c=IN IP4 192.0.2.20", "c=IN IP4 0.0.0.0"));
  const auto info = holdOf(t.body);
  BOOST_TEST(info.onHold());
  BOOST_TEST((info.style() == HoldStyle::Rfc2543));

  const auto inactive = replaced(test::kAudioSendOnly, "a=sendonly", "a=inactive");
  const auto ti = offerTo(inactive, HoldStyle::Rfc2543);
  BOOST_TEST(ti.body == replaced(inactive, "c=IN IP4 192.0.2.20", "c=IN IP4 0.0.0.0"));
}

BOOST_AUTO_TEST_CASE(rfc2543_offer_to_rfc3264_leg_never_carries_zero_address) {
  const auto t = offerTo(test::kAudioZero, HoldStyle::Rfc3264, kAliceAddress);
  BOOST_TEST((t.error == SdpError::None));
  BOOST_TEST(t.changed);
  BOOST_TEST(t.body == std::string(test::kAudioSendOnly));
  BOOST_TEST(t.body.find("0.0.0.0") == std::string::npos);

  // The remembered address wins over the o= address.
  const auto known = offerTo(test::kAudioZero, HoldStyle::Rfc3264, {"IP4", "192.0.2.99"});
  BOOST_TEST(known.body.find("c=IN IP4 192.0.2.99\n") != std::string::npos);

  // Nothing remembered: the o= address.
  const auto fallback = offerTo(test::kAudioZero, HoldStyle::Rfc3264);
  BOOST_TEST(fallback.body == std::string(test::kAudioSendOnly));

  // Nothing usable anywhere: an error, not a 0.0.0.0 in the RFC 3264 form.
  const auto none = offerTo(replaced(test::kAudioZero, "IN IP4 192.0.2.20", "IN IP4 0.0.0.0"),
                            HoldStyle::Rfc3264);
  BOOST_TEST((none.error == SdpError::NoAddressForHold));
}

BOOST_AUTO_TEST_CASE(rfc2543_hold_that_also_refuses_to_send_becomes_inactive) {
  const auto body =
      replaced(test::kAudioZero, "a=rtpmap:0 PCMU/8000\n", "a=rtpmap:0 PCMU/8000\na=recvonly\n");
  const auto t = offerTo(body, HoldStyle::Rfc3264, kAliceAddress);
  BOOST_TEST(t.body.find("a=inactive\n") != std::string::npos);
  BOOST_TEST(t.body.find("a=recvonly") == std::string::npos);
  BOOST_TEST(t.body.find("c=IN IP4 192.0.2.20\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(same_form_and_resume_pass_unchanged) {
  const std::string_view cases[] = {test::kAudio, test::kAudioVideo, test::kAudioSendOnly};
  for (auto body : cases) {
    const auto t = offerTo(body, HoldStyle::Rfc3264, kAliceAddress);
    BOOST_TEST(!t.changed);
    BOOST_TEST(t.body == std::string(body));
  }
  for (auto body : {test::kAudio, test::kAudioVideo, test::kAudioZero}) {
    const auto t = offerTo(body, HoldStyle::Rfc2543);
    BOOST_TEST(!t.changed);
    BOOST_TEST(t.body == std::string(body));
  }
}

BOOST_AUTO_TEST_CASE(round_trip_between_forms_keeps_the_meaning) {
  const auto to2543 = offerTo(test::kAudioSendOnly, HoldStyle::Rfc2543);
  const auto back = offerTo(to2543.body, HoldStyle::Rfc3264, kAliceAddress);
  BOOST_TEST(back.body == std::string(test::kAudioSendOnly));
  const auto to3264 = offerTo(test::kAudioZero, HoldStyle::Rfc3264, kAliceAddress);
  const auto again = offerTo(to3264.body, HoldStyle::Rfc2543);
  BOOST_TEST(holdOf(again.body).held == holdOf(test::kAudioZero).held);
  BOOST_TEST((holdOf(again.body).style() == HoldStyle::Rfc2543));
}

BOOST_AUTO_TEST_CASE(partial_hold_to_rfc2543_zeroes_only_the_held_stream) {
  const auto body = std::string(test::kAudioVideo) + "a=sendonly\n";
  const auto t = offerTo(body, HoldStyle::Rfc2543);
  BOOST_TEST(t.body == replaced(body, "m=video 51372 RTP/AVP 99\n",
                                "m=video 51372 RTP/AVP 99\nc=IN IP4 0.0.0.0\n"));
  const auto info = holdOf(t.body);
  BOOST_TEST(info.held == 2u);
  BOOST_TEST(info.zeroAddress == 2u);
}

BOOST_AUTO_TEST_CASE(ipv6_and_disabled_streams) {
  const std::string v6 =
      "v=0\no=- 1 1 IN IP6 2001:db8::1\ns=-\nc=IN IP6 2001:db8::1\nt=0 0\n"
      "m=audio 1 RTP/AVP 0\na=sendonly\nm=video 0 RTP/AVP 31\n";
  const auto t = offerTo(v6, HoldStyle::Rfc2543);
  // The disabled video inherits the session line too, so audio gets its own.
  BOOST_TEST(t.body == replaced(v6, "m=audio 1 RTP/AVP 0\n", "m=audio 1 RTP/AVP 0\nc=IN IP6 ::\n"));
  // Back in the RFC 3264 form the stream keeps its own c= line, now with the o= address.
  const auto back = offerTo(t.body, HoldStyle::Rfc3264);
  BOOST_TEST(back.body ==
             replaced(v6, "m=audio 1 RTP/AVP 0\n", "m=audio 1 RTP/AVP 0\nc=IN IP6 2001:db8::1\n"));
}

BOOST_AUTO_TEST_CASE(answer_from_rfc2543_peer_translated_for_rfc3264_holder) {
  // Alice (RFC 3264) holds; the offer went to Bob as c=0.0.0.0; Bob answers plain sendrecv.
  const auto offer = summarizeOffer(parsed(test::kAudioSendOnly));
  const auto answer = parsed(kBobAnswer);
  const auto t = translateAnswer(answer, kBobAnswer, offer, HoldStyle::Rfc3264, {});
  BOOST_TEST(t.changed);
  BOOST_TEST(t.body == std::string(kBobAnswer) + "a=recvonly\n");

  // Bob holds too (mutual hold, RFC 2543 form): inactive, with Bob's real address.
  const auto zero = replaced(kBobAnswer, "c=IN IP4 192.0.2.30", "c=IN IP4 0.0.0.0");
  const auto tz =
      translateAnswer(parsed(zero), zero, offer, HoldStyle::Rfc3264, {"IP4", "192.0.2.31"});
  BOOST_TEST(tz.body ==
             replaced(std::string(kBobAnswer) + "a=inactive\n", "192.0.2.30\nt", "192.0.2.31\nt"));
}

BOOST_AUTO_TEST_CASE(answer_from_rfc3264_peer_to_rfc2543_holder) {
  const auto offer = summarizeOffer(parsed(test::kAudioZero));
  const auto recvonly = std::string(kBobAnswer) + "a=recvonly\n";
  const auto t = translateAnswer(parsed(recvonly), recvonly, offer, HoldStyle::Rfc2543, {});
  BOOST_TEST(!t.changed);
  BOOST_TEST(t.body == recvonly);
  // A non-compliant sendrecv answer is still limited to what the offer allowed.
  const auto loose = translateAnswer(parsed(kBobAnswer), kBobAnswer, offer, HoldStyle::Rfc2543, {});
  BOOST_TEST(loose.body == recvonly);
  // An answer that also holds (0.0.0.0) but claims sendrecv cannot send either: inactive.
  const auto zero = replaced(kBobAnswer, "c=IN IP4 192.0.2.30", "c=IN IP4 0.0.0.0");
  const auto both = translateAnswer(parsed(zero), zero, offer, HoldStyle::Rfc2543, {});
  BOOST_TEST(both.body == zero + "a=inactive\n");
}

BOOST_AUTO_TEST_CASE(answer_to_a_resume_is_unchanged) {
  const auto offer = summarizeOffer(parsed(test::kAudio));
  for (auto style : {HoldStyle::Rfc3264, HoldStyle::Rfc2543}) {
    const auto t = translateAnswer(parsed(kBobAnswer), kBobAnswer, offer, style, {});
    BOOST_TEST(!t.changed);
    BOOST_TEST(t.body == std::string(kBobAnswer));
  }
}

BOOST_AUTO_TEST_CASE(hold_style_follows_the_option) {
  BOOST_TEST((holdStyleFor(true) == HoldStyle::Rfc3264));
  BOOST_TEST((holdStyleFor(false) == HoldStyle::Rfc2543));
}

BOOST_AUTO_TEST_SUITE_END()
