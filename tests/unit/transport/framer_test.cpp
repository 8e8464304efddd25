#include <boost/test/unit_test.hpp>
#include <string>

#include "transport/stream_framer.hpp"

#include <ostream>

namespace sipha::transport {
std::ostream& operator<<(std::ostream& out, FrameKind kind) {
  return out << "FrameKind(" << static_cast<int>(kind) << ")";
}
std::ostream& operator<<(std::ostream& out, FrameError error) {
  return out << "FrameError(" << static_cast<int>(error) << ")";
}
}  // namespace sipha::transport

using namespace sipha::transport;

namespace {

const std::string kHead =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "Call-ID: 1@10.0.0.1\r\n";

std::string message(const std::string& lengthHeader, const std::string& body) {
  return kHead + lengthHeader + "\r\n\r\n" + body;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_framer)

BOOST_AUTO_TEST_CASE(whole_message_with_body) {
  StreamFramer framer(65535);
  const std::string bytes = message("Content-Length: 5", "hello");
  const Frame frame = framer.next(bytes + "INVITE");
  BOOST_TEST(frame.kind == FrameKind::Message);
  BOOST_TEST(frame.length == bytes.size());
}

BOOST_AUTO_TEST_CASE(two_messages_in_one_buffer) {
  StreamFramer framer(65535);
  const std::string first = message("Content-Length: 3", "abc");
  const std::string second = message("Content-Length: 0", "");
  const std::string both = first + second;
  Frame frame = framer.next(both);
  BOOST_TEST(frame.kind == FrameKind::Message);
  BOOST_TEST(frame.length == first.size());
  frame = framer.next(std::string_view(both).substr(frame.length));
  BOOST_TEST(frame.kind == FrameKind::Message);
  BOOST_TEST(frame.length == second.size());
}

BOOST_AUTO_TEST_CASE(message_split_over_three_reads) {
  StreamFramer framer(65535);
  const std::string bytes = message("Content-Length: 10", "0123456789");
  const std::size_t cut1 = 20;                // inside the start line
  const std::size_t cut2 = bytes.size() - 4;  // inside the body
  BOOST_TEST((framer.next(bytes.substr(0, cut1)).kind == FrameKind::NeedMore));
  BOOST_TEST((framer.next(bytes.substr(0, cut2)).kind == FrameKind::NeedMore));
  const Frame frame = framer.next(bytes);
  BOOST_TEST((frame.kind == FrameKind::Message));
  BOOST_TEST(frame.length == bytes.size());
}

BOOST_AUTO_TEST_CASE(header_end_split_across_reads) {
  StreamFramer framer(65535);
  const std::string bytes = message("l: 0", "");
  BOOST_TEST((framer.next(bytes.substr(0, bytes.size() - 2)).kind == FrameKind::NeedMore));
  BOOST_TEST((framer.next(bytes.substr(0, bytes.size() - 1)).kind == FrameKind::NeedMore));
  BOOST_TEST((framer.next(bytes).kind == FrameKind::Message));
}

BOOST_AUTO_TEST_CASE(compact_and_case_insensitive_names) {
  for (const std::string header : {"l: 2", "L:2", "CONTENT-LENGTH: 2", "content-length :  2  "}) {
    StreamFramer framer(65535);
    const std::string bytes = message(header, "xy");
    const Frame frame = framer.next(bytes);
    BOOST_TEST_INFO(header);
    BOOST_TEST((frame.kind == FrameKind::Message));
    BOOST_TEST(frame.length == bytes.size());
  }
}

BOOST_AUTO_TEST_CASE(folded_content_length) {
  StreamFramer framer(65535);
  const std::string bytes = message("Content-Length:\r\n 4", "abcd");
  const Frame frame = framer.next(bytes);
  BOOST_TEST((frame.kind == FrameKind::Message));
  BOOST_TEST(frame.length == bytes.size());
}

BOOST_AUTO_TEST_CASE(header_named_like_l_is_not_content_length) {
  StreamFramer framer(65535);
  const std::string bytes = kHead + "Lx: 5\r\n\r\n";
  const Frame frame = framer.next(bytes);
  BOOST_TEST((frame.kind == FrameKind::Error));
  BOOST_TEST((frame.error == FrameError::MissingContentLength));
}

BOOST_AUTO_TEST_CASE(missing_content_length_is_an_error) {
  StreamFramer framer(65535);
  const Frame frame = framer.next(kHead + "\r\nbody");
  BOOST_TEST((frame.kind == FrameKind::Error));
  BOOST_TEST((frame.error == FrameError::MissingContentLength));
}

BOOST_AUTO_TEST_CASE(bad_and_conflicting_values) {
  for (const std::string header :
       {"Content-Length: 1x", "Content-Length: -1", "Content-Length:", "l: 3\r\nl: 4"}) {
    StreamFramer framer(65535);
    const Frame frame = framer.next(message(header, "abcd"));
    BOOST_TEST_INFO(header);
    BOOST_TEST((frame.kind == FrameKind::Error));
    BOOST_TEST((frame.error == FrameError::BadContentLength));
  }
  StreamFramer framer(65535);
  BOOST_TEST(
      (framer.next(message("l: 4\r\nContent-Length: 4", "abcd")).kind == FrameKind::Message));
}

BOOST_AUTO_TEST_CASE(too_large) {
  {
    StreamFramer framer(200);
    const Frame frame = framer.next(message("Content-Length: 500", ""));
    BOOST_TEST((frame.error == FrameError::TooLarge));
  }
  {
    StreamFramer framer(200);
    const Frame frame = framer.next(message("Content-Length: 99999999999999999999999", ""));
    BOOST_TEST((frame.error == FrameError::TooLarge));
  }
  {
    StreamFramer framer(200);
    const std::string endless = kHead + std::string(300, 'x');
    const Frame frame = framer.next(endless);
    BOOST_TEST((frame.kind == FrameKind::Error));
    BOOST_TEST((frame.error == FrameError::TooLarge));
  }
  {
    StreamFramer framer(200);
    const std::string exact = message("Content-Length: 0", "");
    framer.setMaxMessageSize(exact.size());
    BOOST_TEST((framer.next(exact).kind == FrameKind::Message));
    framer.setMaxMessageSize(exact.size() - 1);
    BOOST_TEST((framer.next(exact).kind == FrameKind::Error));
  }
}

BOOST_AUTO_TEST_CASE(keep_alive_ping_and_stray_crlf) {
  StreamFramer framer(65535);
  Frame frame = framer.next("\r\n\r\n");
  BOOST_TEST((frame.kind == FrameKind::Ping));
  BOOST_TEST(frame.length == 4u);
  BOOST_TEST((framer.next("\r\n").kind == FrameKind::NeedMore));
  BOOST_TEST((framer.next("\r\n\r").kind == FrameKind::NeedMore));
  frame = framer.next("\r\nINVITE");
  BOOST_TEST((frame.kind == FrameKind::Skip));
  BOOST_TEST(frame.length == 2u);
  BOOST_TEST((framer.next("").kind == FrameKind::NeedMore));
}

BOOST_AUTO_TEST_CASE(find_content_length_directly) {
  const ContentLength found = findContentLength(kHead + "Content-Length: 42", 100);
  BOOST_TEST(found.present);
  BOOST_TEST(found.value == 42u);
  BOOST_TEST(!findContentLength(kHead, 100).present);
}

BOOST_AUTO_TEST_SUITE_END()
