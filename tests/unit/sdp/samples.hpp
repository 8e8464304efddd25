#pragma once
// SDP bodies shared by the sdp unit tests, written with "\n" and sent with CRLF (RFC 4566 5).
#include <string>
#include <string_view>

namespace sipha::sdp::test {

inline std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 32);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// An audio + video offer with the lines a B2BUA must leave alone (b=, rtpmap, fmtp, unknown).
inline constexpr std::string_view kAudioVideo =
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
    "m=video 51372 RTP/AVP 99\n"
    "b=AS:200\n"
    "a=rtpmap:99 H264/90000\n"
    "a=x-unknown:keep me\n";

// One audio stream, no direction attribute: sendrecv.
inline constexpr std::string_view kAudio =
    "v=0\n"
    "o=- 100 1 IN IP4 192.0.2.20\n"
    "s=call\n"
    "c=IN IP4 192.0.2.20\n"
    "t=0 0\n"
    "m=audio 4000 RTP/AVP 0\n"
    "a=rtpmap:0 PCMU/8000\n";

// RFC 3264 8.4 hold of kAudio.
inline constexpr std::string_view kAudioSendOnly =
    "v=0\n"
    "o=- 100 2 IN IP4 192.0.2.20\n"
    "s=call\n"
    "c=IN IP4 192.0.2.20\n"
    "t=0 0\n"
    "m=audio 4000 RTP/AVP 0\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=sendonly\n";

// RFC 2543 hold of kAudio.
inline constexpr std::string_view kAudioZero =
    "v=0\n"
    "o=- 100 2 IN IP4 192.0.2.20\n"
    "s=call\n"
    "c=IN IP4 0.0.0.0\n"
    "t=0 0\n"
    "m=audio 4000 RTP/AVP 0\n"
    "a=rtpmap:0 PCMU/8000\n";

}  // namespace sipha::sdp::test
