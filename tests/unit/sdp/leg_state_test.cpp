#include <boost/test/unit_test.hpp>
#include <string>

#include "samples.hpp"
#include "sdp/leg_state.hpp"
#include "sdp/parser.hpp"

using namespace sipha::sdp;
using sipha::sdp::test::crlf;

namespace {

// The o= line of `body` after stamping it for `leg`.
std::string stamped(LegSdpState& leg, std::string_view body) {
  std::string copy(body);
  BOOST_REQUIRE((leg.stampOutgoing(copy) == SdpError::None));
  const auto r = parseSdp(copy);
  BOOST_REQUIRE_MESSAGE(r.ok(), errorName(r.error));
  return std::string(r.sdp.lines[r.sdp.origin.line].value);
}

std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto pos = out.find(from);
  BOOST_REQUIRE(pos != std::string::npos);
  out.replace(pos, from.size(), to);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(leg_state)

BOOST_AUTO_TEST_CASE(first_body_keeps_its_origin) {
  LegSdpState leg;
  BOOST_TEST(!leg.hasSent());
  BOOST_TEST(stamped(leg, crlf(test::kAudioVideo)) ==
             "alice 2890844526 2890844527 IN IP4 192.0.2.10");
  BOOST_TEST(leg.hasSent());
  BOOST_TEST(leg.version() == 2890844527u);
  BOOST_TEST(leg.sessionId() == "2890844526");
}

BOOST_AUTO_TEST_CASE(version_grows_by_one_only_when_content_changes) {
  LegSdpState leg;
  BOOST_TEST(stamped(leg, test::kAudio) == "- 100 1 IN IP4 192.0.2.20");
  // Re-sent unchanged (RFC 3264 8: same version) even if upstream bumped its own o= version.
  BOOST_TEST(stamped(leg, test::kAudio) == "- 100 1 IN IP4 192.0.2.20");
  BOOST_TEST(stamped(leg, replaced(test::kAudio, "100 1", "100 7")) == "- 100 1 IN IP4 192.0.2.20");
  // Hold: content changes, version + 1.
  BOOST_TEST(stamped(leg, test::kAudioSendOnly) == "- 100 2 IN IP4 192.0.2.20");
  BOOST_TEST(stamped(leg, test::kAudioSendOnly) == "- 100 2 IN IP4 192.0.2.20");
  // Resume: + 1 again.
  BOOST_TEST(stamped(leg, test::kAudio) == "- 100 3 IN IP4 192.0.2.20");
  BOOST_TEST(leg.version() == 3u);
}

BOOST_AUTO_TEST_CASE(another_upstream_origin_is_replaced_by_the_legs_own) {
  // After a transfer the other party's SDP has a different o=; this leg must not see it change.
  LegSdpState leg;
  stamped(leg, test::kAudio);
  const auto other = crlf(test::kAudioVideo);
  BOOST_TEST(stamped(leg, other) == "- 100 2 IN IP4 192.0.2.20");
  std::string body = other;
  LegSdpState copy = leg;
  BOOST_REQUIRE((copy.stampOutgoing(body) == SdpError::None));
  // Everything but the o= line is byte for byte what was given.
  BOOST_TEST(body == replaced(other, "alice 2890844526 2890844527 IN IP4 192.0.2.10",
                              "- 100 2 IN IP4 192.0.2.20"));
}

BOOST_AUTO_TEST_CASE(legs_are_independent) {
  LegSdpState a;
  LegSdpState b;
  stamped(a, test::kAudio);
  stamped(a, test::kAudioSendOnly);
  BOOST_TEST(stamped(b, test::kAudioSendOnly) == "- 100 2 IN IP4 192.0.2.20");
  BOOST_TEST(stamped(b, test::kAudio) == "- 100 3 IN IP4 192.0.2.20");
  BOOST_TEST(a.version() == 2u);
}

BOOST_AUTO_TEST_CASE(bodies_without_a_valid_origin_are_refused_untouched) {
  LegSdpState leg;
  std::string none = "v=0\ns=-\nt=0 0\n";
  BOOST_TEST((leg.stampOutgoing(none) == SdpError::MissingOrigin));
  std::string bad = "v=0\no=- x 1 IN IP4 h\ns=-\n";
  BOOST_TEST((leg.stampOutgoing(bad) == SdpError::MalformedOrigin));
  BOOST_TEST(bad == "v=0\no=- x 1 IN IP4 h\ns=-\n");
  std::string mediaFirst = "v=0\nm=audio 1 RTP/AVP 0\no=- 1 1 IN IP4 h\n";
  BOOST_TEST((leg.stampOutgoing(mediaFirst) == SdpError::MissingOrigin));
  BOOST_TEST(!leg.hasSent());
}

BOOST_AUTO_TEST_CASE(remembers_the_legs_real_media_address) {
  LegSdpState leg;
  BOOST_TEST(leg.knownAddress().address.empty());
  leg.observeReceived(parseSdp(test::kAudio).sdp);
  BOOST_TEST(leg.knownAddress().address == "192.0.2.20");
  BOOST_TEST(leg.knownAddress().addrType == "IP4");
  // A hold with c=0.0.0.0 does not overwrite it.
  leg.observeReceived(parseSdp(test::kAudioZero).sdp);
  BOOST_TEST(leg.knownAddress().address == "192.0.2.20");
  // The first active stream counts; disabled ones are skipped.
  leg.observeReceived(
      parseSdp("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\nm=audio 0 RTP/AVP 0\nc=IN IP4 192.0.2.1\n"
               "m=audio 2 RTP/AVP 0\nc=IN IP6 2001:db8::2\n")
          .sdp);
  BOOST_TEST(leg.knownAddress().address == "2001:db8::2");
  BOOST_TEST(leg.knownAddress().addrType == "IP6");
}

BOOST_AUTO_TEST_CASE(serialized_state_continues_on_the_peer) {
  LegSdpState leg;
  leg.observeReceived(parseSdp(test::kAudio).sdp);
  stamped(leg, test::kAudio);
  stamped(leg, test::kAudioSendOnly);
  const auto text = leg.serialize();
  BOOST_TEST(text.find('\n') == std::string::npos);
  auto restored = LegSdpState::deserialize(text);
  BOOST_REQUIRE(restored);
  BOOST_TEST((*restored == leg));
  BOOST_TEST(restored->serialize() == text);
  // Same decisions after the switchover: unchanged content keeps the version, a change bumps it.
  BOOST_TEST(stamped(*restored, test::kAudioSendOnly) == "- 100 2 IN IP4 192.0.2.20");
  BOOST_TEST(stamped(*restored, test::kAudio) == "- 100 3 IN IP4 192.0.2.20");
  BOOST_TEST(restored->knownAddress().address == "192.0.2.20");

  const auto fresh = LegSdpState::deserialize(LegSdpState{}.serialize());
  BOOST_REQUIRE(fresh);
  BOOST_TEST(!fresh->hasSent());
}

BOOST_AUTO_TEST_CASE(corrupt_serialized_state_is_refused) {
  LegSdpState leg;
  stamped(leg, test::kAudio);
  const auto good = leg.serialize();
  const std::string bad[] = {
      "",
      "sdp2" + good.substr(4),
      good + " extra=1",
      replaced(good, "ver=1", "ver=x"),
      replaced(good, "ver=1", "version=1"),
      replaced(good, "sent=1", "sent=2"),
      replaced(good, "user=-", "user="),
      replaced(good, "sess=100", "sess=abc"),
      good.substr(0, good.find(" raddr")),
      replaced(good, "digest=", "digest=zz"),
  };
  for (const auto& text : bad) {
    BOOST_TEST_CONTEXT(text) { BOOST_TEST(!LegSdpState::deserialize(text)); }
  }
}

BOOST_AUTO_TEST_SUITE_END()
