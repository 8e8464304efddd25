#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "sip/parser.hpp"
#include "test_messages.hpp"

using namespace sipha::sip;
using sipha::sip::test::crlf;

namespace {

ParseResult parse(std::string_view text, Framing framing = Framing::Datagram,
                  ParserLimits limits = {}) {
  return parseMessage(crlf(text), limits, framing);
}

std::string replaceLine(std::string_view text, std::string_view prefix, std::string_view line) {
  std::string out(text);
  const auto pos = out.find(prefix);
  const auto end = out.find('\n', pos);
  out.replace(pos, end - pos, line);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parser)

BOOST_AUTO_TEST_CASE(register_fields_parsed_eagerly) {
  const auto r = parse(test::kRegister);
  BOOST_REQUIRE(r.ok());
  const Message& m = *r.message;
  BOOST_TEST(m.isRequest());
  BOOST_TEST(m.method() == Method::Register);
  BOOST_TEST(m.methodText() == "REGISTER");
  BOOST_TEST(m.requestUriText() == "sip:example.com");
  BOOST_TEST(m.requestUri().host == "example.com");
  BOOST_TEST(m.version() == "SIP/2.0");
  BOOST_REQUIRE_EQUAL(m.vias().size(), 3u);
  BOOST_TEST(m.vias()[1] == "SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp2");
  BOOST_TEST(m.vias()[2] == "SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKp3");
  BOOST_TEST(m.topVia().transport == "UDP");
  BOOST_TEST(m.topVia().host == "192.0.2.20");
  BOOST_TEST(m.topVia().port == 5060);
  BOOST_TEST(m.topVia().branch == "z9hG4bKreg01");
  BOOST_TEST(m.topVia().hasRport);
  BOOST_TEST(m.topVia().rport.empty());
  BOOST_TEST(m.topVia().hasRfc3261Branch());
  BOOST_TEST(m.from().displayName == "Desk 2001");
  BOOST_TEST(m.from().uri == "sip:2001@example.com");
  BOOST_TEST(m.from().tag == "reg-tag-1");
  BOOST_TEST(m.to().tag.empty());
  BOOST_TEST(m.callId() == "reg-0001@192.0.2.20");
  BOOST_TEST(m.cseq().number == 17u);
  BOOST_TEST(m.cseq().method == Method::Register);
  BOOST_TEST(m.maxForwards().value() == 70u);
  BOOST_TEST(m.contentLength().value() == 0u);
  BOOST_TEST(m.body().empty());
  BOOST_TEST(m.expires().value() == 1800u);
  BOOST_TEST(!m.minExpires().has_value());
  BOOST_TEST(m.header("x-custom") == "hello");
  BOOST_TEST(m.header(HeaderId::Supported) == "path, outbound");
  BOOST_TEST(m.headers().size() == 12u);
}

BOOST_AUTO_TEST_CASE(views_point_into_the_owned_buffer) {
  std::string bytes = crlf(test::kRegister);
  bytes.reserve(4096);  // not SSO: the moved-in buffer must be the same storage
  const char* storage = bytes.data();
  const auto r = parseMessage(std::move(bytes));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(static_cast<const void*>(r.message->buffer().data()) ==
             static_cast<const void*>(storage));
  const auto callId = r.message->callId();
  BOOST_TEST((callId.data() > storage));
  BOOST_TEST((callId.data() < storage + r.message->buffer().size()));
}

BOOST_AUTO_TEST_CASE(contact_values_split_respecting_quotes_and_brackets) {
  const auto r = parse(test::kRegister);
  BOOST_REQUIRE(r.ok());
  std::vector<std::string_view> contacts;
  for (auto v : r.message->values(HeaderId::Contact)) contacts.push_back(v);
  BOOST_REQUIRE_EQUAL(contacts.size(), 2u);
  BOOST_TEST(contacts[0] == "<sip:2001@192.0.2.20:5060;transport=udp>;expires=3600;q=0.8");
  BOOST_TEST(contacts[1] == "\"A, B\" <sip:x@h>");
  NameAddr c;
  BOOST_REQUIRE(parseNameAddr(contacts[0], c));
  BOOST_TEST(c.q().value() == 800);
  BOOST_TEST(c.expires().value() == 3600u);
  BOOST_REQUIRE(parseNameAddr(contacts[1], c));
  BOOST_TEST(c.displayName == "A, B");
  std::vector<std::string_view> supported;
  for (auto v : r.message->values(HeaderId::Supported)) supported.push_back(v);
  BOOST_TEST(supported.size() == 2u);
  int none = 0;
  for (auto v : r.message->values(HeaderId::Route)) none += int(v.size());
  BOOST_TEST(none == 0);
}

BOOST_AUTO_TEST_CASE(compact_forms_map_to_ids) {
  for (auto [name, id] :
       std::vector<std::pair<std::string_view, HeaderId>>{{"i", HeaderId::CallId},
                                                          {"m", HeaderId::Contact},
                                                          {"e", HeaderId::ContentEncoding},
                                                          {"l", HeaderId::ContentLength},
                                                          {"c", HeaderId::ContentType},
                                                          {"f", HeaderId::From},
                                                          {"s", HeaderId::Subject},
                                                          {"k", HeaderId::Supported},
                                                          {"t", HeaderId::To},
                                                          {"v", HeaderId::Via},
                                                          {"o", HeaderId::Event},
                                                          {"u", HeaderId::AllowEvents},
                                                          {"r", HeaderId::ReferTo},
                                                          {"b", HeaderId::ReferredBy},
                                                          {"CALL-id", HeaderId::CallId},
                                                          {"record-ROUTE", HeaderId::RecordRoute},
                                                          {"X-Unknown", HeaderId::Unknown},
                                                          {"V", HeaderId::Via}}) {
    BOOST_TEST((headerIdFromName(name) == id), name);
  }
  BOOST_TEST(headerName(HeaderId::WwwAuthenticate) == "WWW-Authenticate");
}

BOOST_AUTO_TEST_CASE(folding_is_rewritten_in_place) {
  const auto r = parse(
      "OPTIONS sip:b@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP h;\n  branch=z9hG4bK1\n"
      "From: <sip:a@example.com>\n\t;tag=x\n"
      "To: <sip:b@example.com>\n"
      "Call-ID: c1\n"
      "CSeq:\n 1\n OPTIONS\n"
      "Subject: one\n two\n"
      "Content-Length: 0\n\n");
  BOOST_REQUIRE_MESSAGE(r.ok(), r.reason());
  BOOST_TEST(r.message->topVia().branch == "z9hG4bK1");
  BOOST_TEST(r.message->from().tag == "x");
  BOOST_TEST(r.message->cseq().number == 1u);
  BOOST_TEST(r.message->header(HeaderId::Subject) == "one   two");
}

BOOST_AUTO_TEST_CASE(response_status_line) {
  const auto r = parse(
      "SIP/2.0 486 Busy Here\n"
      "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
      "From: <sip:a@example.com>;tag=1\n"
      "To: <sip:b@example.com>;tag=2\n"
      "Call-ID: c1\n"
      "CSeq: 1 INVITE\n"
      "Content-Length: 0\n\n");
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.message->isResponse());
  BOOST_TEST(r.message->statusCode() == 486);
  BOOST_TEST(r.message->reason() == "Busy Here");
  BOOST_TEST(r.message->cseq().method == Method::Invite);
}

BOOST_AUTO_TEST_CASE(response_errors_are_dropped) {
  const auto r = parse(
      "SIP/2.0 200 OK\n"
      "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
      "From: <sip:a@example.com>;tag=1\n"
      "To: <sip:b@example.com>;tag=2\n"
      "CSeq: 1 INVITE\n\n");
  BOOST_TEST(r.error == ParseError::MissingCallId);
  BOOST_TEST(!r.canRespond);
  BOOST_TEST(parse("SIP/2.0 2000 OK\n\n").error == ParseError::MalformedStartLine);
  BOOST_TEST(parse("SIP/2.0 099 Low\n\n").error == ParseError::MalformedStartLine);
}

BOOST_AUTO_TEST_CASE(datagram_body_framing) {
  const std::string_view head =
      "MESSAGE sip:b@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
      "From: <sip:a@example.com>;tag=1\n"
      "To: <sip:b@example.com>\n"
      "Call-ID: c1\n"
      "CSeq: 1 MESSAGE\n";
  {  // extra bytes beyond Content-Length are discarded (RFC 3261 18.3)
    const auto r = parse(std::string(head) + "Content-Length: 5\n\nhelloEXTRA");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.message->body() == "hello");
  }
  {  // no Content-Length on a datagram: the rest is the body
    const auto r = parse(std::string(head) + "\nhello world");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.message->body() == "hello world");
  }
  {  // shorter body than announced
    const auto r = parse(std::string(head) + "Content-Length: 50\n\nhello");
    BOOST_TEST(r.error == ParseError::ContentLengthMismatch);
    BOOST_TEST(r.canRespond);
    BOOST_TEST(r.reason() == "Bad Request - Content-Length Mismatch");
  }
  {  // stream: Content-Length mandatory, and exact
    BOOST_TEST(parse(std::string(head) + "\nhello", Framing::Stream).error ==
               ParseError::MissingContentLength);
    BOOST_TEST(parse(std::string(head) + "l: 3\n\nhello", Framing::Stream).error ==
               ParseError::ContentLengthMismatch);
    BOOST_TEST(parse(std::string(head) + "l: 5\n\nhello", Framing::Stream).ok());
  }
}

BOOST_AUTO_TEST_CASE(mandatory_headers_and_can_respond) {
  const std::string base(test::kRegister);
  struct Case {
    std::string_view prefix;
    std::string_view line;
    ParseError error;
    bool canRespond;
  };
  for (const auto& c : std::vector<Case>{
           {"Call-ID:", "X-A: 1", ParseError::MissingCallId, false},
           {"CSeq:", "CSeq: 17 INVITE", ParseError::CSeqMethodMismatch, true},
           {"CSeq:", "CSeq: 4294967296 REGISTER", ParseError::MalformedCSeq, false},
           {"CSeq:", "CSeq: 17", ParseError::MalformedCSeq, false},
           {"CSeq:", "CSeq: -1 REGISTER", ParseError::MalformedCSeq, false},
           {"CSeq:", "X-A: 1", ParseError::MissingCSeq, false},
           {"From:", "From: \"unterminated <sip:a@b>", ParseError::MalformedFrom, false},
           {"To:", "To: <sip:b@example.com", ParseError::MalformedTo, false},
           {"To:", "X-A: 1", ParseError::MissingTo, false},
           {"Max-Forwards:", "Max-Forwards: 256", ParseError::MalformedMaxForwards, true},
           {"Max-Forwards:", "Max-Forwards: 99999999999999999999", ParseError::MalformedMaxForwards,
            true},
           {"Content-Length:", "Content-Length: -1", ParseError::MalformedContentLength, true},
           {"Content-Length:", "Content-Length: 1, 2", ParseError::MalformedContentLength, true},
           {"X-Custom:", "X-Custom no colon", ParseError::MalformedHeader, true},
           {"X-Custom:", "X Custom: spaces", ParseError::MalformedHeader, true},
           {"X-Custom:", "Call-ID: again", ParseError::MultipleCallId, true},
           {"X-Custom:", "To: <sip:again@example.com>", ParseError::MultipleTo, true},
           {"X-Custom:", "CSeq: 18 REGISTER", ParseError::MultipleCSeq, true},
           {"X-Custom:", "Content-Length: 3", ParseError::MalformedContentLength, true},
       }) {
    const auto r = parse(replaceLine(base, c.prefix, c.line));
    BOOST_TEST((r.error == c.error), c.line << " -> " << errorName(r.error));
    BOOST_TEST(r.canRespond == c.canRespond, c.line);
    if (r.canRespond) BOOST_TEST(r.message != nullptr);
  }
  // All Via values gone, or the top one broken: no 400 possible.
  std::string noVia = base;
  for (auto pos = noVia.find("Via:"); pos != std::string::npos; pos = noVia.find("Via:")) {
    noVia.replace(pos, 3, "X-V");
  }
  BOOST_TEST(parse(noVia).error == ParseError::MissingVia);
  const auto badVia = parse(replaceLine(base, "Via:", "Via: SIP/2.0/UDP ;branch=z9hG4bK"));
  BOOST_TEST(badVia.error == ParseError::MalformedVia);
  BOOST_TEST(!badVia.canRespond);
}

BOOST_AUTO_TEST_CASE(start_line_errors) {
  BOOST_TEST(parse("").error == ParseError::Empty);
  BOOST_TEST(parse("\n\n\n").error == ParseError::Empty);
  BOOST_TEST(parse("INVITE").error == ParseError::MalformedStartLine);
  BOOST_TEST(parse("INVITE sip:a@b\n\n").error == ParseError::MalformedStartLine);
  BOOST_TEST(parse("INV@TE sip:a@b SIP/2.0\n\n").error == ParseError::MalformedStartLine);
  BOOST_TEST(parse("INVITE sip:a@b HTTP/1.1\n\n").error == ParseError::MalformedStartLine);
  const auto v =
      parse(replaceLine(test::kRegister, "REGISTER", "REGISTER sip:example.com SIP/3.0"));
  BOOST_TEST(v.error == ParseError::VersionNotSupported);
  BOOST_TEST(statusCode(v.error) == 505);
  BOOST_TEST(v.canRespond);
  const auto u =
      parse(replaceLine(test::kRegister, "REGISTER", "REGISTER sip:exa mple.com SIP/2.0"));
  BOOST_TEST(u.error == ParseError::MalformedRequestUri);
  BOOST_TEST(u.canRespond);
}

BOOST_AUTO_TEST_CASE(unknown_method_with_valid_structure_is_valid) {
  const auto r = parse(
      "FROBNICATE sip:b@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
      "From: <sip:a@example.com>;tag=1\n"
      "To: <sip:b@example.com>\n"
      "Call-ID: c1\n"
      "CSeq: 1 FROBNICATE\n"
      "Content-Length: 0\n\n");
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.message->method() == Method::Unknown);
  BOOST_TEST(r.message->methodText() == "FROBNICATE");
  BOOST_TEST(r.message->cseq().methodText == "FROBNICATE");
}

BOOST_AUTO_TEST_CASE(limits_are_enforced) {
  std::string many(test::kRegister.substr(0, test::kRegister.size() - 1));
  for (int i = 0; i < 10; ++i) many += "X-Fill: " + std::to_string(i) + "\n";
  many += "\n";
  ParserLimits limits;
  limits.maxHeaders = 15;
  const auto r = parse(many, Framing::Datagram, limits);
  BOOST_TEST(r.error == ParseError::TooManyHeaders);
  BOOST_TEST(r.reason() == "Bad Request - Too Many Headers");
  BOOST_TEST(r.canRespond);
  BOOST_TEST(r.message->headers().size() == 15u);
  limits = {};
  limits.maxMessageBytes = 100;
  const auto big = parse(test::kRegister, Framing::Datagram, limits);
  BOOST_TEST(big.error == ParseError::MessageTooLarge);
  BOOST_TEST(!big.canRespond);
  BOOST_TEST(!big.message);
}

BOOST_AUTO_TEST_CASE(arbitrary_bytes_never_crash) {
  // Every prefix of a valid message, and single-byte corruptions of it.
  const std::string full = crlf(test::kRegister);
  for (std::size_t n = 0; n <= full.size(); ++n) {
    auto r = parseMessage(full.substr(0, n));
    if (n == full.size()) BOOST_TEST(r.ok());
  }
  for (std::size_t i = 0; i < full.size(); i += 3) {
    for (char c : {'\0', '\r', '\n', ' ', '"', '<', '>', ',', ';', ':', '%', '[', '\xff'}) {
      std::string copy = full;
      copy[i] = c;
      auto r = parseMessage(std::move(copy));
      if (r.message) (void)r.message->expires();
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
