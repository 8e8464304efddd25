#include <boost/test/unit_test.hpp>
#include <set>
#include <string>

#include "samples.hpp"
#include "sdp/parser.hpp"

using namespace sipha::sdp;
using sipha::sdp::test::crlf;

namespace {

struct BadCase {
  const char* name;
  std::string_view text;
  SdpError error;
  std::size_t line;
};

std::string header(std::string_view rest) {
  return std::string("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\n").append(rest);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parser)

BOOST_AUTO_TEST_CASE(audio_video_offer_fields) {
  const auto body = crlf(test::kAudioVideo);
  const auto r = parseSdp(body);
  BOOST_REQUIRE(r.ok());
  const auto& sdp = r.sdp;
  BOOST_TEST(sdp.lineEnding == "\r\n");
  BOOST_TEST(sdp.lines.size() == 14u);
  BOOST_TEST(sdp.origin.username == "alice");
  BOOST_TEST(sdp.origin.sessionId == "2890844526");
  BOOST_TEST(sdp.origin.sessionVersion == 2890844527u);
  BOOST_TEST(sdp.origin.netType == "IN");
  BOOST_TEST(sdp.origin.addrType == "IP4");
  BOOST_TEST(sdp.origin.address == "192.0.2.10");
  BOOST_TEST(sdp.origin.line == 1u);
  BOOST_REQUIRE(sdp.connection);
  BOOST_TEST(sdp.connection->address == "192.0.2.10");
  BOOST_TEST(sdp.connection->line == 3u);
  BOOST_TEST(!sdp.direction);
  BOOST_REQUIRE_EQUAL(sdp.media.size(), 2u);
  BOOST_TEST(sdp.media[0].media == "audio");
  BOOST_TEST(sdp.media[0].port == 49170);
  BOOST_TEST(sdp.media[0].proto == "RTP/AVP");
  BOOST_TEST(sdp.media[0].formats == "0 8 101");
  BOOST_TEST(sdp.media[0].firstLine == 6u);
  BOOST_TEST(sdp.media[0].endLine == 10u);
  BOOST_TEST(sdp.media[1].media == "video");
  BOOST_TEST(sdp.media[1].endLine == 14u);
  BOOST_TEST(!sdp.media[1].connection);
  BOOST_TEST(sdp.effectiveConnection(1)->address == "192.0.2.10");
  BOOST_TEST((sdp.effectiveDirection(0) == Direction::SendRecv));
  // Views point into the caller's body: no copies.
  BOOST_TEST((sdp.origin.username.data() >= body.data()));
  BOOST_TEST((sdp.origin.username.data() < body.data() + body.size()));
  BOOST_TEST(sdp.lines[13].value == "x-unknown:keep me");
}

BOOST_AUTO_TEST_CASE(lf_only_body_is_accepted) {
  const auto r = parseSdp(test::kAudio);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.sdp.lineEnding == "\n");
  BOOST_TEST(r.sdp.media.size() == 1u);
}

BOOST_AUTO_TEST_CASE(directions_at_session_and_media_level) {
  const auto body = header(
      "c=IN IP4 192.0.2.1\nt=0 0\na=sendonly\nm=audio 1 RTP/AVP 0\nm=video 2 RTP/AVP 31\n"
      "a=INACTIVE\nm=text 3 RTP/AVP 98\na=recvonly\n");
  const auto r = parseSdp(body);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST((r.sdp.direction == Direction::SendOnly));
  BOOST_TEST(r.sdp.directionLine == 5u);
  BOOST_TEST((r.sdp.effectiveDirection(0) == Direction::SendOnly));
  BOOST_TEST((r.sdp.effectiveDirection(1) == Direction::Inactive));
  BOOST_TEST(r.sdp.media[1].directionLine == 8u);
  BOOST_TEST((r.sdp.effectiveDirection(2) == Direction::RecvOnly));
}

BOOST_AUTO_TEST_CASE(media_connection_overrides_session_and_ttl_is_stripped) {
  const auto body = header(
      "c=IN IP4 224.2.1.1/127/3\nt=0 0\nm=audio 49170/2 RTP/AVP 0\nc=IN IP6 2001:db8::5\n"
      "c=IN IP6 2001:db8::6\nm=video 0 RTP/AVP 31\n");
  const auto r = parseSdp(body);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.sdp.connection->address == "224.2.1.1");
  BOOST_TEST(r.sdp.media[0].port == 49170);
  BOOST_TEST(r.sdp.media[0].connection->address == "2001:db8::5");  // the first c= counts
  BOOST_TEST(r.sdp.media[0].connection->addrType == "IP6");
  BOOST_TEST(r.sdp.effectiveConnection(1)->address == "224.2.1.1");
}

BOOST_AUTO_TEST_CASE(disabled_stream_needs_no_connection) {
  const auto r = parseSdp(header("t=0 0\nm=audio 0 RTP/AVP 0\n"));
  BOOST_TEST(r.ok());
  BOOST_TEST(r.sdp.effectiveConnection(0) == nullptr);
}

BOOST_AUTO_TEST_CASE(trailing_blank_lines_are_tolerated) {
  BOOST_TEST(parseSdp(crlf(std::string(test::kAudio) + "\n\n")).ok());
}

BOOST_AUTO_TEST_CASE(malformed_bodies_are_reported_with_their_line) {
  const std::string tooMany = header(std::string("c=IN IP4 192.0.2.1\n") + [] {
    std::string s;
    for (int i = 0; i < 600; ++i) s += "a=x\n";
    return s;
  }());
  const std::string tooManyMedia = header("c=IN IP4 192.0.2.1\n" + [] {
    std::string s;
    for (int i = 0; i < 33; ++i) s += "m=audio 1 RTP/AVP 0\n";
    return s;
  }());
  const std::string nul = header(std::string("c=IN IP4 192.0.2.1\na=x\0y\n", 25));
  const BadCase cases[] = {
      {"empty", "", SdpError::Empty, kNoLine},
      {"no v=", "o=- 1 1 IN IP4 a\ns=-\n", SdpError::MissingVersion, 0},
      {"v=1", "v=1\no=- 1 1 IN IP4 a\ns=-\n", SdpError::UnsupportedVersion, 0},
      {"no =", "v=0\nhello\n", SdpError::MalformedLine, 1},
      {"upper type", "v=0\nO=- 1 1 IN IP4 a\n", SdpError::MalformedLine, 1},
      {"blank inside", "v=0\n\no=- 1 1 IN IP4 a\ns=-\n", SdpError::MalformedLine, 1},
      {"no o=", "v=0\ns=-\nt=0 0\n", SdpError::MissingOrigin, kNoLine},
      {"o= before m= missing", "v=0\ns=-\nc=IN IP4 a\nm=audio 1 RTP/AVP 0\n",
       SdpError::MissingOrigin, 3},
      {"o= 5 fields", "v=0\no=- 1 1 IN IP4\ns=-\n", SdpError::MalformedOrigin, 1},
      {"o= 7 fields", "v=0\no=- 1 1 IN IP4 a b\ns=-\n", SdpError::MalformedOrigin, 1},
      {"o= version text", "v=0\no=- 1 x IN IP4 a\ns=-\n", SdpError::MalformedOrigin, 1},
      {"o= version overflow", "v=0\no=- 1 18446744073709551616 IN IP4 a\ns=-\n",
       SdpError::MalformedOrigin, 1},
      {"two o=", "v=0\no=- 1 1 IN IP4 a\no=- 1 1 IN IP4 a\ns=-\n", SdpError::MalformedOrigin, 2},
      {"no s=", "v=0\no=- 1 1 IN IP4 a\nt=0 0\n", SdpError::MissingSessionName, kNoLine},
      {"c= 2 fields", "v=0\no=- 1 1 IN IP4 a\ns=-\nc=IN IP4\n", SdpError::MalformedConnection, 3},
      {"c= only ttl", "v=0\no=- 1 1 IN IP4 a\ns=-\nc=IN IP4 /127\n", SdpError::MalformedConnection,
       3},
      {"m= port too big", "v=0\no=- 1 1 IN IP4 a\ns=-\nc=IN IP4 a\nm=audio 70000 RTP/AVP 0\n",
       SdpError::MalformedMedia, 4},
      {"m= no formats", "v=0\no=- 1 1 IN IP4 a\ns=-\nc=IN IP4 a\nm=audio 1 RTP/AVP\n",
       SdpError::MalformedMedia, 4},
      {"m= bad count", "v=0\no=- 1 1 IN IP4 a\ns=-\nc=IN IP4 a\nm=audio 1/x RTP/AVP 0\n",
       SdpError::MalformedMedia, 4},
      {"no c= anywhere", "v=0\no=- 1 1 IN IP4 a\ns=-\nm=audio 1 RTP/AVP 0\n",
       SdpError::MissingConnection, 3},
      {"conflicting directions", "v=0\no=- 1 1 IN IP4 a\ns=-\na=sendonly\na=inactive\n",
       SdpError::ConflictingDirection, 4},
      {"too many lines", tooMany, SdpError::TooManyLines, 512},
      {"too many media", tooManyMedia, SdpError::TooManyMedia, 36},
      {"NUL byte", nul, SdpError::MalformedLine, 4},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      const auto r = parseSdp(c.text);
      BOOST_TEST((r.error == c.error), errorName(r.error) << " != " << errorName(c.error));
      BOOST_TEST(r.errorLine == c.line);
      BOOST_TEST(!r.ok());
    }
  }
  // A repeated identical direction is not a conflict.
  BOOST_TEST(parseSdp(header("a=sendonly\na=sendonly\n")).ok());
}

BOOST_AUTO_TEST_CASE(size_limit_is_enforced_before_parsing) {
  SdpLimits limits;
  limits.maxBytes = 40;
  BOOST_TEST((parseSdp(test::kAudio, limits).error == SdpError::TooLarge));
  limits.maxBytes = test::kAudio.size();
  BOOST_TEST(parseSdp(test::kAudio, limits).ok());
}

// Every prefix and every single-byte corruption of a valid body: parsed or refused, never a crash
// or a view outside the buffer (run under ASan by the sanitizer build).
BOOST_AUTO_TEST_CASE(truncated_and_corrupted_bodies_never_crash) {
  const auto body = crlf(test::kAudioVideo);
  std::size_t refused = 0;
  for (std::size_t n = 0; n <= body.size(); ++n) {
    const std::string prefix = body.substr(0, n);
    const auto r = parseSdp(prefix);
    if (!r.ok()) ++refused;
    for (const auto& line : r.sdp.lines) {
      BOOST_REQUIRE(line.value.data() >= prefix.data());
      BOOST_REQUIRE(line.value.data() + line.value.size() <= prefix.data() + prefix.size());
    }
  }
  BOOST_TEST(refused > 0u);
  const char replacements[] = {'\0', '\r', '\n', ' ', '=', '/', 'x', '9', '\xff'};
  for (std::size_t i = 0; i < body.size(); ++i) {
    for (char c : replacements) {
      std::string copy = body;
      copy[i] = c;
      const auto r = parseSdp(copy);
      BOOST_REQUIRE(r.ok() || r.error != SdpError::None);
    }
  }
}

BOOST_AUTO_TEST_CASE(error_names_are_distinct) {
  std::set<std::string_view> names;
  for (int e = 0; e <= int(SdpError::NoAddressForHold); ++e) {
    names.insert(errorName(SdpError(e)));
  }
  BOOST_TEST(names.size() == std::size_t(SdpError::NoAddressForHold) + 1);
  BOOST_TEST(!names.count("unknown"));
}

BOOST_AUTO_TEST_CASE(direction_helpers) {
  BOOST_TEST((reverse(Direction::SendOnly) == Direction::RecvOnly));
  BOOST_TEST((reverse(Direction::RecvOnly) == Direction::SendOnly));
  BOOST_TEST((reverse(Direction::Inactive) == Direction::Inactive));
  BOOST_TEST((intersect(Direction::SendRecv, Direction::RecvOnly) == Direction::RecvOnly));
  BOOST_TEST((intersect(Direction::SendOnly, Direction::RecvOnly) == Direction::Inactive));
  BOOST_TEST((withoutReceive(Direction::SendRecv) == Direction::SendOnly));
  BOOST_TEST((directionFromName("SendOnly") == Direction::SendOnly));
  BOOST_TEST(!directionFromName("rtpmap"));
  BOOST_TEST(directionName(Direction::Inactive) == "inactive");
}

BOOST_AUTO_TEST_SUITE_END()
