#include <boost/test/unit_test.hpp>
#include <string>

#include "sip/message_builder.hpp"
#include "test_messages.hpp"

using namespace sipha::sip;
using sipha::sip::test::crlf;

BOOST_AUTO_TEST_SUITE(builder)

BOOST_AUTO_TEST_CASE(response_copies_dialog_headers_and_adds_to_tag) {
  const auto req = parseMessage(crlf(test::kRegister));
  BOOST_REQUIRE(req.ok());
  const HeaderLine extra[] = {{"Contact", "<sip:2001@192.0.2.20:5060>;expires=1800"},
                              {"Server", "sipha"}};
  ResponseSpec spec;
  spec.status = 200;
  spec.reason = "OK";
  spec.toTag = "srv-1";
  spec.headers = extra;
  const std::string out = buildResponse(*req.message, spec);
  BOOST_TEST(out == crlf("SIP/2.0 200 OK\n"
                         "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKreg01;rport\n"
                         "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp2, SIP/2.0/UDP "
                         "[2001:db8::1]:5070;branch=z9hG4bKp3\n"
                         "From: \"Desk 2001\" <sip:2001@example.com>;tag=reg-tag-1\n"
                         "To: <sip:2001@example.com>;tag=srv-1\n"
                         "Call-ID: reg-0001@192.0.2.20\n"
                         "CSeq: 17 REGISTER\n"
                         "Contact: <sip:2001@192.0.2.20:5060>;expires=1800\n"
                         "Server: sipha\n"
                         "Content-Length: 0\n"
                         "\n"));
  BOOST_TEST(out.capacity() >= out.size());
  // The response parses back with the same dialog identifiers.
  const auto back = parseMessage(std::string(out));
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back.message->to().tag == "srv-1");
  BOOST_TEST(back.message->vias().size() == 3u);
}

BOOST_AUTO_TEST_CASE(combined_top_via_is_rewritten_and_unstored_vias_still_copied) {
  std::string text = crlf(
      "OPTIONS sip:b@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP 192.0.2.10;rport;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.11;branch=z9hG4bK0\n"
      "From: <sip:a@example.com>;tag=1\n"
      "To: <sip:b@example.com>\n"
      "Call-ID: c1\n"
      "CSeq: 1 OPTIONS\n"
      "X-1: 1\n"
      "Via: SIP/2.0/UDP 192.0.2.12;branch=z9hG4bK2\n"
      "Content-Length: 0\n\n");
  ParserLimits limits;
  limits.maxHeaders = 6;  // the last Via field is read but not stored
  const auto req = parseMessage(std::move(text), limits);
  BOOST_TEST(req.error == ParseError::TooManyHeaders);
  BOOST_TEST(req.message->vias().size() == 3u);
  ResponseSpec spec;
  spec.viaRport = 6000;
  spec.viaReceived = "198.51.100.1";
  const std::string out = buildResponse(*req.message, spec);
  BOOST_TEST(
      out.find("Via: SIP/2.0/UDP 192.0.2.10;rport=6000;branch=z9hG4bK1;received=198.51.100.1, "
               "SIP/2.0/UDP 192.0.2.11;branch=z9hG4bK0\r\n"
               "Via: SIP/2.0/UDP 192.0.2.12;branch=z9hG4bK2\r\nFrom:") != std::string::npos,
      out);
}

BOOST_AUTO_TEST_CASE(existing_to_tag_is_kept_and_via_rewritten) {
  const auto req =
      parseMessage(crlf("BYE sip:b@192.0.2.30 SIP/2.0\n"
                        "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK9;rport;x=1\n"
                        "From: <sip:a@example.com>;tag=1\n"
                        "To: <sip:b@example.com>;tag=2\n"
                        "Call-ID: c1\n"
                        "CSeq: 5 BYE\n"
                        "Content-Length: 0\n\n"));
  BOOST_REQUIRE(req.ok());
  ResponseSpec spec;
  spec.toTag = "ignored";
  spec.viaReceived = "198.51.100.7";
  spec.viaRport = 40000;
  spec.contentType = "text/plain";
  spec.body = "bye";
  const std::string out = buildResponse(*req.message, spec);
  BOOST_TEST(out.find("To: <sip:b@example.com>;tag=2\r\n") != std::string::npos);
  BOOST_TEST(out.find("ignored") == std::string::npos);
  BOOST_TEST(out.find("Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK9;rport=40000;x=1;received="
                      "198.51.100.7\r\n") != std::string::npos);
  BOOST_TEST(out.find("Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nbye") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(request_builder) {
  const HeaderLine headers[] = {{"Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKq"},
                                {"Max-Forwards", "70"},
                                {"From", "<sip:s@example.com>;tag=f"},
                                {"To", "<sip:t@example.com>"},
                                {"Call-ID", "abc"},
                                {"CSeq", "1 OPTIONS"}};
  RequestSpec spec;
  spec.method = Method::Options;
  spec.requestUri = "sip:t@example.com";
  spec.headers = headers;
  const std::string out = buildRequest(spec);
  const auto back = parseMessage(std::string(out), {}, Framing::Stream);
  BOOST_REQUIRE_MESSAGE(back.ok(), back.reason());
  BOOST_TEST(back.message->method() == Method::Options);
  BOOST_TEST(back.message->contentLength().value() == 0u);
  spec.method = Method::Unknown;
  spec.methodText = "FOO";
  BOOST_TEST(buildRequest(spec).starts_with("FOO sip:t@example.com SIP/2.0\r\n"));
}

BOOST_AUTO_TEST_CASE(stateless_error_response_from_partial_request) {
  const auto req =
      parseMessage(crlf("INVITE sip:b@example.com SIP/2.0\n"
                        "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\n"
                        "Via: SIP/2.0/UDP 192.0.2.11;branch=z9hG4bK0\n"
                        "From: <sip:a@example.com>;tag=1\n"
                        "To: <sip:b@example.com>\n"
                        "Call-ID: c1\n"
                        "CSeq: 1 INVITE\n"
                        "Max-Forwards: 999\n"
                        "Content-Length: 0\n\n"));
  BOOST_TEST(req.error == ParseError::MalformedMaxForwards);
  const auto out = buildErrorResponse(req, "t400");
  BOOST_REQUIRE(out.has_value());
  BOOST_TEST(out->starts_with("SIP/2.0 400 Bad Request - Malformed Max-Forwards\r\n"));
  const auto back = parseMessage(std::string(*out));
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(back.message->vias().size() == 2u);
  BOOST_TEST(back.message->to().tag == "t400");
  BOOST_TEST(back.message->cseq().method == Method::Invite);

  const auto emptyVia =
      parseMessage(crlf("OPTIONS sip:b@example.com SIP/2.0\n"
                        "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\n"
                        "Via: ,\n"
                        "Via:\n"
                        "From: <sip:a@example.com>;tag=1\n"
                        "To: <sip:b@example.com>\n"
                        "Call-ID: c1\n"
                        "CSeq: 1 OPTIONS\n\n"));
  BOOST_TEST(emptyVia.error == ParseError::MalformedVia);
  const auto emptyViaAnswer = buildErrorResponse(emptyVia);
  BOOST_REQUIRE(emptyViaAnswer.has_value());
  BOOST_TEST(parseMessage(std::string(*emptyViaAnswer)).ok(), *emptyViaAnswer);

  const auto dropped = parseMessage(crlf("INVITE sip:b@example.com SIP/2.0\nCSeq: 1 INVITE\n\n"));
  BOOST_TEST(!buildErrorResponse(dropped).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
