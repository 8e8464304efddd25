// The service address probe's OPTIONS and the answer that names who serves.
#include <boost/test/unit_test.hpp>

#include "io/options_probe.hpp"

using namespace sipha::agent::io;

namespace {

std::string answer(const std::string& callId, const std::string& extra, int code = 200) {
  return "SIP/2.0 " + std::to_string(code) +
         " OK\r\n"
         "Via: SIP/2.0/UDP 192.0.2.11:40000;branch=z9hG4bK-sipha-agent-7\r\n"
         "From: <sip:sipha-agent@192.0.2.11>;tag=agent7\r\n"
         "To: <sip:192.0.2.12>;tag=x\r\n"
         "Call-ID: " +
         callId + "\r\nCSeq: 7 OPTIONS\r\n" + extra + "Content-Length: 0\r\n\r\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(options_probe)

BOOST_AUTO_TEST_CASE(the_request_is_a_complete_options_to_the_target) {
  const auto local = SocketAddress::parse("192.0.2.11", 40000);
  const auto target = SocketAddress::parse("192.0.2.12", 5060);
  const std::string text = buildProbeRequest(*local, *target, "a", 7);
  BOOST_TEST(text.starts_with("OPTIONS sip:192.0.2.12:5060 SIP/2.0\r\n"));
  BOOST_TEST(text.find("Via: SIP/2.0/UDP 192.0.2.11:40000;branch=z9hG4bK-") != std::string::npos);
  BOOST_TEST(text.find("Call-ID: " + probeCallId("a", 7) + "\r\n") != std::string::npos);
  BOOST_TEST(text.find("CSeq: 7 OPTIONS\r\n") != std::string::npos);
  BOOST_TEST(text.ends_with("Content-Length: 0\r\n\r\n"));
}

BOOST_AUTO_TEST_CASE(ipv6_hosts_are_bracketed) {
  const auto local = SocketAddress::parse("2001:db8::11", 40000);
  const auto target = SocketAddress::parse("2001:db8::12", 5060);
  const std::string text = buildProbeRequest(*local, *target, "a", 1);
  BOOST_TEST(text.starts_with("OPTIONS sip:[2001:db8::12]:5060 SIP/2.0\r\n"));
  BOOST_TEST(text.find("SIP/2.0/UDP [2001:db8::11]:40000;") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_primary_answer_names_node_and_epoch) {
  const auto parsed =
      parseProbeAnswer(answer(probeCallId("a", 7), "X-Sipha-Serving: node=b;epoch=12\r\n"), "a", 7);
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed->status == 200);
  BOOST_REQUIRE(parsed->node);
  BOOST_TEST(*parsed->node == "b");
  BOOST_TEST(parsed->epoch == 12u);
}

BOOST_AUTO_TEST_CASE(header_names_are_case_insensitive_and_compact_call_id_counts) {
  std::string text = answer(probeCallId("a", 7), "x-sipha-serving: epoch=3 ; node=b\r\n");
  text.replace(text.find("Call-ID:"), 8, "i:");
  const auto parsed = parseProbeAnswer(text, "a", 7);
  BOOST_REQUIRE(parsed);
  BOOST_REQUIRE(parsed->node);
  BOOST_TEST(*parsed->node == "b");
  BOOST_TEST(parsed->epoch == 3u);
}

BOOST_AUTO_TEST_CASE(a_quoted_node_id_is_unquoted) {
  const auto parsed = parseProbeAnswer(
      answer(probeCallId("a", 7), "X-Sipha-Serving: node=\"node \\\"b\\\"\";epoch=2\r\n"), "a", 7);
  BOOST_REQUIRE(parsed);
  BOOST_REQUIRE(parsed->node);
  BOOST_TEST(*parsed->node == "node \"b\"");
}

BOOST_AUTO_TEST_CASE(an_answer_without_the_header_names_nobody) {
  const auto parsed = parseProbeAnswer(answer(probeCallId("a", 7), ""), "a", 7);
  BOOST_REQUIRE(parsed);
  BOOST_TEST(!parsed->node);
}

BOOST_AUTO_TEST_CASE(another_probes_answer_or_garbage_is_ignored) {
  BOOST_TEST(!parseProbeAnswer(answer(probeCallId("a", 6), "X-Sipha-Serving: node=b;epoch=1\r\n"),
                               "a", 7));
  BOOST_TEST(!parseProbeAnswer("OPTIONS sip:x SIP/2.0\r\n\r\n", "a", 7));
  BOOST_TEST(!parseProbeAnswer("SIP/2.0 2", "a", 7));
  BOOST_TEST(!parseProbeAnswer("", "a", 7));
  BOOST_TEST(!parseProbeAnswer("SIP/2.0 abc OK\r\n\r\n", "a", 7));
}

BOOST_AUTO_TEST_SUITE_END()
