// A call's Via and Contact on each transport, and the caller's connection reused for requests
// toward it (RFC 3261 18.1.1, 12.1.1, 8.1.1.8; RFC 5626 3.3): a TLS phone accepts no inbound
// connection, and reaches sipd's in-dialog target only if that target names TLS and its port.
#include "b2bua/call.hpp"

#include "helpers.hpp"

namespace sipha::b2bua::test {
namespace {

constexpr std::string_view kTlsFlow = "tls:192.0.2.10:50123#7";

std::string tlsInvite(std::string_view requestUri = "sip:2002@sipha.example.com") {
  std::string text = callerInvite();
  auto replace = [&text](std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  };
  replace("INVITE sip:2002@sipha.example.com", "INVITE " + std::string(requestUri));
  replace("Via: SIP/2.0/UDP 192.0.2.10:5060", "Via: SIP/2.0/TLS 192.0.2.10:50123");
  replace("Contact: <sip:2001@192.0.2.10:5060>",
          "Contact: <sip:2001@192.0.2.10:5061;transport=tls>");
  replace("From: \"Alice\" <sip:2001@sipha.example.com>",
          "From: \"Alice\" <sip:2001@sipha.example.com;transport=tls>");
  return text;
}

struct TlsCallerFixture : CallFixture {
  TlsCallerFixture() {
    inbound.transport = "TLS";
    inbound.overTls = true;
    inbound.flow = std::string(kTlsFlow);
  }
};

BOOST_AUTO_TEST_SUITE(call_transport)

BOOST_FIXTURE_TEST_CASE(a_tls_caller_gets_a_tls_contact_and_its_connection_is_reused,
                        TlsCallerFixture) {
  Action invite = startCall(tlsInvite());
  // Toward the UDP target: UDP's sent-by and Contact; the caller's transport parameter is not
  // copied into the new leg's From (it names the way to the caller, from the caller's leg).
  auto sent = parseWire(invite.bytes);
  BOOST_TEST(sent->topVia().transport == "UDP");
  BOOST_TEST(sent->topVia().port == 5060u);
  BOOST_TEST(sent->header(sip::HeaderId::Contact) == "<sip:sipd@10.0.0.1:5060>");
  BOOST_TEST(sent->from().uri == "sip:2001@sipha.example.com");

  PeerResponse ringing;
  ringing.status = 180;
  ringing.reason = "Ringing";
  ringing.headers = {{"Contact", "<sip:2002@192.0.2.20:5070>"}};
  respondOutbound(invite, ringing);
  const Action* r180 = response(out, LegId::Inbound, 180);
  BOOST_REQUIRE(r180);
  // 12.1.1: the remote target the caller will use names TLS and the TLS port.
  BOOST_TEST(parseWire(r180->bytes)->header(sip::HeaderId::Contact) ==
             "<sip:10.0.0.1:5061;transport=tls>");
  respondOutbound(invite, ok200());
  const Action* r200 = response(out, LegId::Inbound, 200);
  BOOST_REQUIRE(r200);
  BOOST_TEST(parseWire(r200->bytes)->header(sip::HeaderId::Contact) ==
             "<sip:10.0.0.1:5061;transport=tls>");
  requestIn(LegId::Inbound, callerRequest(call, "ACK", 10, {}, {}, "z9hG4bKcallerack"));
  BOOST_REQUIRE_EQUAL(call.state(), CallState::Confirmed);

  // The callee hangs up: the BYE toward the caller goes on the caller's own connection, with
  // TLS's sent-by in its Via.
  requestIn(LegId::Outbound, calleeRequest(call, "BYE", 1));
  const Action* bye = request(out, LegId::Inbound, sip::Method::Bye);
  BOOST_REQUIRE(bye);
  BOOST_TEST(bye->flow == kTlsFlow);
  BOOST_TEST(bye->transport == "TLS");
  auto byeMessage = parseWire(bye->bytes);
  BOOST_TEST(byeMessage->topVia().transport == "TLS");
  BOOST_TEST(byeMessage->topVia().port == 5061u);
  BOOST_TEST(byeMessage->requestUriText() == "sip:2001@192.0.2.10:5061;transport=tls");
}

BOOST_FIXTURE_TEST_CASE(a_sips_request_uri_over_tls_gets_a_sips_contact, TlsCallerFixture) {
  Action invite = startCall(tlsInvite("sips:2002@sipha.example.com"));
  BOOST_TEST(call.dialog(LegId::Inbound).secure);
  respondOutbound(invite, ok200());
  const Action* r200 = response(out, LegId::Inbound, 200);
  BOOST_REQUIRE(r200);
  BOOST_TEST(parseWire(r200->bytes)->header(sip::HeaderId::Contact) == "<sips:10.0.0.1:5061>");
}

BOOST_FIXTURE_TEST_CASE(a_tcp_target_gets_tcp_via_and_contact, CallFixture) {
  Action first = startCall();
  // The first target fails over to the second, which is over TCP.
  PeerResponse unavailable;
  unavailable.status = 503;
  unavailable.reason = "Service Unavailable";
  respondOutbound(first, unavailable);
  const Action* second = request(out, LegId::Outbound, sip::Method::Invite);
  BOOST_REQUIRE(second);
  BOOST_TEST(second->transport == "TCP");
  auto sent = parseWire(second->bytes);
  BOOST_TEST(sent->topVia().transport == "TCP");
  BOOST_TEST(sent->topVia().port == 5060u);
  BOOST_TEST(sent->header(sip::HeaderId::Contact) == "<sip:10.0.0.1:5060;transport=tcp>");
  // A UDP caller has no flow: requests toward it go to its Contact.
  BOOST_TEST(call.flow(LegId::Inbound).empty());
}

BOOST_AUTO_TEST_CASE(the_transport_parameter_is_removed_from_a_name_addr) {
  BOOST_TEST(withoutTransportParam("\"A\" <sip:2001@h;transport=tls>") == "\"A\" <sip:2001@h>");
  BOOST_TEST(withoutTransportParam("<sip:2001@h;user=phone;TRANSPORT=TCP;lr>;x=1") ==
             "<sip:2001@h;user=phone;lr>;x=1");
  BOOST_TEST(withoutTransportParam("<sip:2001@h>;transport=tcp") == "<sip:2001@h>;transport=tcp");
  BOOST_TEST(withoutTransportParam("<sip:2001@h;transport=udp?X=1>") == "<sip:2001@h?X=1>");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
