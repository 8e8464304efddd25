#include <boost/test/unit_test.hpp>
#include <string>

#include "samples.hpp"
#include "sdp/parser.hpp"
#include "sdp/rewrite.hpp"

using namespace sipha::sdp;
using sipha::sdp::test::crlf;

namespace {

std::string rewritten(std::string_view body, const SdpRewrite& edits) {
  const auto r = parseSdp(body);
  BOOST_REQUIRE_MESSAGE(r.ok(), errorName(r.error));
  return rewrite(r.sdp, edits);
}

MediaRewrite direction(Direction d) {
  MediaRewrite m;
  m.direction = d;
  return m;
}

MediaRewrite address(std::string a, std::string type = {}) {
  MediaRewrite m;
  m.address = std::move(a);
  m.addrType = std::move(type);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rewriter)

BOOST_AUTO_TEST_CASE(no_edits_reproduce_the_body) {
  const auto body = crlf(test::kAudioVideo);
  BOOST_TEST(rewritten(body, {}) == body);
  BOOST_TEST(rewritten(test::kAudio, {}) == std::string(test::kAudio));  // LF stays LF
  BOOST_TEST(SdpRewrite{}.empty());
  SdpRewrite noop;
  noop.media.resize(2);
  BOOST_TEST(noop.empty());
}

BOOST_AUTO_TEST_CASE(direction_appended_at_the_end_of_its_section) {
  SdpRewrite edits;
  edits.media = {direction(Direction::SendOnly)};
  BOOST_TEST(!edits.empty());
  const auto out = rewritten(test::kAudioVideo, edits);
  BOOST_TEST(out ==
             "v=0\n"
             "o=alice 2890844526 2890844527 IN IP4 192.0.2.10\n"
             "s=-\n"
             "c=IN IP4 192.0.2.10\n"
             "b=AS:256\n"
             "t=0 0\n"
             "m=audio 49170 RTP/AVP 0 8 101\n"
             "a=rtpmap:0 PCMU/8000\n"
             "a=rtpmap:101 telephone-event/8000\n"
             "a=fmtp:101 0-15\n"
             "a=sendonly\n"
             "m=video 51372 RTP/AVP 99\n"
             "b=AS:200\n"
             "a=rtpmap:99 H264/90000\n"
             "a=x-unknown:keep me\n");
}

BOOST_AUTO_TEST_CASE(existing_direction_replaced_in_place_or_dropped) {
  const std::string body =
      "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 1 RTP/AVP 0\n"
      "a=sendonly\na=ptime:20\n";
  SdpRewrite edits;
  edits.media = {direction(Direction::Inactive)};
  BOOST_TEST(rewritten(body, edits) ==
             "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 1 RTP/AVP 0\n"
             "a=inactive\na=ptime:20\n");
  // Back to sendrecv: the attribute is redundant and disappears.
  edits.media = {direction(Direction::SendRecv)};
  BOOST_TEST(rewritten(body, edits) ==
             "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 1 RTP/AVP 0\n"
             "a=ptime:20\n");
  // Unchanged direction: identical body.
  edits.media = {direction(Direction::SendOnly)};
  BOOST_TEST(rewritten(body, edits) == body);
}

BOOST_AUTO_TEST_CASE(session_direction_dropped_when_streams_diverge) {
  const std::string body =
      "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\na=sendonly\n"
      "m=audio 1 RTP/AVP 0\nm=video 2 RTP/AVP 31\n";
  SdpRewrite edits;
  edits.media = {direction(Direction::SendRecv)};
  BOOST_TEST(rewritten(body, edits) ==
             "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
             "m=audio 1 RTP/AVP 0\nm=video 2 RTP/AVP 31\na=sendonly\n");
  // Both streams still agree with the session attribute: nothing moves.
  edits.media = {direction(Direction::SendOnly), direction(Direction::SendOnly)};
  BOOST_TEST(rewritten(body, edits) == body);
  // Both change together: the session attribute goes, each stream says inactive.
  edits.media = {direction(Direction::Inactive), direction(Direction::Inactive)};
  BOOST_TEST(rewritten(body, edits) ==
             "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
             "m=audio 1 RTP/AVP 0\na=inactive\nm=video 2 RTP/AVP 31\na=inactive\n");
}

BOOST_AUTO_TEST_CASE(shared_session_connection_rewritten_when_all_streams_agree) {
  SdpRewrite edits;
  edits.media = {address("0.0.0.0"), address("0.0.0.0")};
  const auto out = rewritten(crlf(test::kAudioVideo), edits);
  auto expected = crlf(test::kAudioVideo);
  expected.replace(expected.find("c=IN IP4 192.0.2.10"), 19, "c=IN IP4 0.0.0.0");
  BOOST_TEST(out == expected);
}

BOOST_AUTO_TEST_CASE(media_connection_inserted_after_m_and_i_lines) {
  SdpRewrite edits;
  edits.media = {address("0.0.0.0"), {}};
  const auto out = rewritten(test::kAudioVideo, edits);
  BOOST_TEST(out.find("m=audio 49170 RTP/AVP 0 8 101\nc=IN IP4 0.0.0.0\na=rtpmap:0") !=
             std::string::npos);
  BOOST_TEST(out.find("c=IN IP4 192.0.2.10\n") != std::string::npos);  // session line kept

  const std::string titled =
      "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 1 RTP/AVP 0\n"
      "i=main audio\nb=AS:64\nm=video 2 RTP/AVP 31\n";
  BOOST_TEST(rewritten(titled, edits) ==
             "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 1 RTP/AVP 0\n"
             "i=main audio\nc=IN IP4 0.0.0.0\nb=AS:64\nm=video 2 RTP/AVP 31\n");
}

BOOST_AUTO_TEST_CASE(media_connection_replaced_with_its_type) {
  const std::string body =
      "v=0\no=- 1 1 IN IP6 h\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\nc=IN IP6 2001:db8::1\n";
  SdpRewrite edits;
  edits.media = {address("::")};
  BOOST_TEST(rewritten(body, edits) ==
             "v=0\no=- 1 1 IN IP6 h\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\nc=IN IP6 ::\n");
  edits.media = {address("192.0.2.9", "IP4")};
  BOOST_TEST(rewritten(body, edits) ==
             "v=0\no=- 1 1 IN IP6 h\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\nc=IN IP4 192.0.2.9\n");
  edits.media = {address("2001:db8::1")};  // the same address: untouched
  BOOST_TEST(rewritten(body, edits) == body);
}

BOOST_AUTO_TEST_CASE(origin_replaced_alone) {
  SdpRewrite edits;
  edits.origin = "sipha 7 8 IN IP4 198.51.100.1";
  auto expected = crlf(test::kAudioVideo);
  expected.replace(expected.find("alice"), 45, "sipha 7 8 IN IP4 198.51.100.1");
  BOOST_TEST(rewritten(crlf(test::kAudioVideo), edits) == expected);
}

BOOST_AUTO_TEST_SUITE_END()
