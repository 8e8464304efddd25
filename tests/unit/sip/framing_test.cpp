#include <boost/test/unit_test.hpp>
#include <string>

#include "sip/parser.hpp"
#include "test_messages.hpp"

using namespace sipha::sip;
using sipha::sip::test::crlf;
using Status = FrameResult::Status;

BOOST_AUTO_TEST_SUITE(stream_framing)

BOOST_AUTO_TEST_CASE(frames_back_to_back_messages) {
  const std::string one = crlf(
      "OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\n"
      "l: 4\n\nbody");
  const std::string stream = "\r\n\r\n" + one + one.substr(0, 20);
  auto r = frameStreamMessage(stream);
  BOOST_TEST((r.status == Status::KeepAlive));
  BOOST_TEST(r.size == 4u);
  r = frameStreamMessage(std::string_view(stream).substr(4));
  BOOST_TEST((r.status == Status::Complete));
  BOOST_TEST(r.size == one.size());
  r = frameStreamMessage(std::string_view(stream).substr(4 + one.size()));
  BOOST_TEST((r.status == Status::Incomplete));
  // Body not yet complete
  r = frameStreamMessage(std::string_view(one).substr(0, one.size() - 1));
  BOOST_TEST((r.status == Status::Incomplete));
}

BOOST_AUTO_TEST_CASE(invalid_streams) {
  BOOST_TEST(
      (frameStreamMessage(crlf("OPTIONS sip:a@b SIP/2.0\nVia: x\n\n")).status == Status::Invalid));
  BOOST_TEST((frameStreamMessage(crlf("OPTIONS sip:a@b SIP/2.0\nContent-Length: -1\n\n")).status ==
              Status::Invalid));
  BOOST_TEST((frameStreamMessage(crlf("OPTIONS sip:a@b SIP/2.0\nl: 1\nl: 2\n\n")).status ==
              Status::Invalid));
  ParserLimits limits;
  limits.maxMessageBytes = 64;
  BOOST_TEST((frameStreamMessage(crlf("OPTIONS sip:a@b SIP/2.0\nl: 100\n\n"), limits).status ==
              Status::Invalid));
  BOOST_TEST((frameStreamMessage(std::string(200, 'x'), limits).status == Status::Invalid));
  BOOST_TEST((frameStreamMessage(std::string(20, 'x'), limits).status == Status::Incomplete));
}

BOOST_AUTO_TEST_SUITE_END()
