// RFC 3261 12: dialog creation on both sides and in-dialog request construction.
#include "b2bua/dialog.hpp"

#include "helpers.hpp"

namespace sipha::b2bua::test {
namespace {

constexpr std::string_view kInvite =
    "INVITE sips:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKa1\n"
    "Max-Forwards: 70\n"
    "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\n"
    "Record-Route: <sip:p3.example.com;lr>\n"
    "From: \"Alice A\" <sip:alice@example.com>;tag=a-tag;x=1\n"
    "To: Bob <sips:bob@example.com>\n"
    "Call-ID: c1@example.com\n"
    "CSeq: 42 INVITE\n"
    "Contact: <sip:alice@192.0.2.10:5061;transport=tls>\n"
    "Content-Length: 0\n\n";

BOOST_AUTO_TEST_SUITE(dialog)

BOOST_AUTO_TEST_CASE(uas_dialog_from_invite) {
  auto invite = parse(kInvite);
  Dialog d;
  BOOST_REQUIRE(createUasDialog(*invite, "s-tag", true, d) == DialogError::None);
  BOOST_TEST(d.state == DialogState::Early);
  BOOST_TEST(d.callId == "c1@example.com");
  BOOST_TEST(d.localTag == "s-tag");
  BOOST_TEST(d.remoteTag == "a-tag");
  BOOST_TEST(d.remoteTarget == "sip:alice@192.0.2.10:5061;transport=tls");
  // 12.1.1: the route set is the Record-Route list in order, across header fields.
  BOOST_REQUIRE_EQUAL(d.routeSet.size(), 3u);
  BOOST_TEST(d.routeSet[0] == "<sip:p1.example.com;lr>");
  BOOST_TEST(d.routeSet[2] == "<sip:p3.example.com;lr>");
  BOOST_TEST(d.remoteCseq.value() == 42u);
  BOOST_TEST(!d.localCseq.has_value());
  BOOST_TEST(d.secure);
  // The tag is gone, the display name and other parameters stay.
  BOOST_TEST(d.remoteUri == "\"Alice A\" <sip:alice@example.com>;x=1");
  BOOST_TEST(d.localUri == "\"Bob\" <sips:bob@example.com>");
}

BOOST_AUTO_TEST_CASE(uas_dialog_needs_a_contact) {
  std::string text(kInvite);
  text.replace(text.find("Contact:"), std::string_view("Contact").size(), "X-Contact");
  auto invite = parse(text);
  Dialog d;
  BOOST_TEST(createUasDialog(*invite, "s", false, d) == DialogError::MissingContact);
  auto two = parse(std::string(kInvite).insert(std::string(kInvite).find("Content-Length"),
                                               "Contact: <sip:x@h>\n"));
  BOOST_TEST(createUasDialog(*two, "s", false, d) == DialogError::BadContact);
}

BOOST_AUTO_TEST_CASE(uac_dialog_from_provisional_then_2xx) {
  Dialog d;
  d.callId = "c1@example.com";
  d.localTag = "a-tag";
  d.localUri = "<sip:alice@example.com>";
  d.remoteUri = "<sip:bob@example.com>";
  d.remoteTarget = "sip:bob@example.com";
  d.localCseq = 1;
  auto noTag = parse(
      "SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:alice@example.com>;"
      "tag=a-tag\nTo: <sip:bob@example.com>\nCall-ID: c1@example.com\nCSeq: 1 INVITE\n"
      "Content-Length: 0\n\n");
  BOOST_TEST(applyUacResponse(*noTag, d) == DialogError::MissingTag);
  BOOST_TEST(d.state == DialogState::Null);

  auto early = parse(
      "SIP/2.0 183 Session Progress\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
      "Record-Route: <sip:p1;lr>, <sip:p2;lr>\nFrom: <sip:alice@example.com>;tag=a-tag\n"
      "To: <sip:bob@example.com>;tag=b-tag\nCall-ID: c1@example.com\nCSeq: 1 INVITE\n"
      "Contact: <sip:bob@192.0.2.20>\nContent-Length: 0\n\n");
  BOOST_REQUIRE(applyUacResponse(*early, d) == DialogError::None);
  BOOST_TEST(d.state == DialogState::Early);
  BOOST_TEST(d.remoteTag == "b-tag");
  // 12.1.2: reversed Record-Route.
  BOOST_REQUIRE_EQUAL(d.routeSet.size(), 2u);
  BOOST_TEST(d.routeSet[0] == "<sip:p2;lr>");
  BOOST_TEST(d.remoteTarget == "sip:bob@192.0.2.20");

  auto ok = parse(
      "SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nRecord-Route: <sip:p9;lr>\n"
      "From: <sip:alice@example.com>;tag=a-tag\nTo: <sip:bob@example.com>;tag=b-tag\n"
      "Call-ID: c1@example.com\nCSeq: 1 INVITE\nContact: <sip:bob@192.0.2.21>\n"
      "Content-Length: 0\n\n");
  BOOST_REQUIRE(applyUacResponse(*ok, d) == DialogError::None);
  BOOST_TEST(d.state == DialogState::Confirmed);
  BOOST_REQUIRE_EQUAL(d.routeSet.size(), 1u);  // the 2xx replaces the early route set
  BOOST_TEST(d.remoteTarget == "sip:bob@192.0.2.21");
}

BOOST_AUTO_TEST_CASE(two_xx_without_contact_is_refused) {
  Dialog d;
  auto ok = parse(
      "SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@x>;tag=a\n"
      "To: <sip:b@x>;tag=b\nCall-ID: c\nCSeq: 1 INVITE\nContent-Length: 0\n\n");
  BOOST_TEST(applyUacResponse(*ok, d) == DialogError::MissingContact);
}

Dialog confirmedDialog() {
  Dialog d;
  d.state = DialogState::Confirmed;
  d.callId = "c1@example.com";
  d.localTag = "l-tag";
  d.remoteTag = "r-tag";
  d.localUri = "<sip:alice@example.com>";
  d.remoteUri = "\"Bob\" <sip:bob@example.com>";
  d.remoteTarget = "sip:bob@192.0.2.20:5070";
  d.localCseq = 5;
  return d;
}

BOOST_AUTO_TEST_CASE(loose_routing_request) {
  Dialog d = confirmedDialog();
  d.routeSet = {"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"};
  InDialogRequest spec;
  spec.method = sip::Method::Bye;
  spec.branch = "z9hG4bKx1";
  spec.viaSentBy = "10.0.0.1:5060";
  spec.maxForwards = 69;
  BuiltRequest built = buildInDialogRequest(d, spec);
  BOOST_TEST(built.cseq == 6u);
  BOOST_TEST(d.localCseq.value() == 6u);
  BOOST_TEST(built.nextHop == "sip:p1.example.com;lr");
  auto m = parseWire(built.bytes);
  BOOST_TEST(m->method() == sip::Method::Bye);
  BOOST_TEST(m->requestUriText() == "sip:bob@192.0.2.20:5070");
  std::vector<std::string_view> routes = valuesOf(*m, sip::HeaderId::Route);
  BOOST_REQUIRE_EQUAL(routes.size(), 2u);
  BOOST_TEST(routes[0] == "<sip:p1.example.com;lr>");
  BOOST_TEST(routes[1] == "<sip:p2.example.com;lr>");
  BOOST_TEST(m->from().tag == "l-tag");
  BOOST_TEST(m->to().tag == "r-tag");
  BOOST_TEST(m->to().displayName == "Bob");
  BOOST_TEST(m->callId() == "c1@example.com");
  BOOST_TEST(m->cseq().number == 6u);
  BOOST_TEST(m->maxForwards().value() == 69u);
  BOOST_TEST(m->topVia().branch == "z9hG4bKx1");
  BOOST_TEST(m->topVia().host == "10.0.0.1");
}

BOOST_AUTO_TEST_CASE(strict_routing_request) {
  Dialog d = confirmedDialog();
  d.routeSet = {"<sip:strict.example.com>", "<sip:p2.example.com;lr>"};
  InDialogRequest spec;
  spec.method = sip::Method::Info;
  spec.branch = "z9hG4bKx2";
  spec.viaSentBy = "10.0.0.1";
  BuiltRequest built = buildInDialogRequest(d, spec);
  auto m = parseWire(built.bytes);
  // 12.2.1.1: Request-URI = first route; Route = the rest, then the remote target.
  BOOST_TEST(m->requestUriText() == "sip:strict.example.com");
  std::vector<std::string_view> routes = valuesOf(*m, sip::HeaderId::Route);
  BOOST_REQUIRE_EQUAL(routes.size(), 2u);
  BOOST_TEST(routes[0] == "<sip:p2.example.com;lr>");
  BOOST_TEST(routes[1] == "<sip:bob@192.0.2.20:5070>");
  BOOST_TEST(built.nextHop == "sip:strict.example.com");
}

BOOST_AUTO_TEST_CASE(ack_keeps_the_invite_cseq) {
  Dialog d = confirmedDialog();
  InDialogRequest spec;
  spec.method = sip::Method::Ack;
  spec.branch = "z9hG4bKx3";
  spec.viaSentBy = "10.0.0.1";
  spec.cseq = 5;
  spec.contentType = "application/sdp";
  spec.body = kAnswerSdp;
  BuiltRequest built = buildInDialogRequest(d, spec);
  auto m = parseWire(built.bytes);
  BOOST_TEST(m->cseq().number == 5u);
  BOOST_TEST(m->cseq().method == sip::Method::Ack);
  BOOST_TEST(d.localCseq.value() == 5u);
  BOOST_TEST(m->body() == kAnswerSdp);
  BOOST_TEST(built.nextHop == "sip:bob@192.0.2.20:5070");
}

BOOST_AUTO_TEST_CASE(remote_cseq_order) {
  Dialog d;
  BOOST_TEST(acceptRemoteCseq(10, d));
  BOOST_TEST(acceptRemoteCseq(11, d));
  BOOST_TEST(!acceptRemoteCseq(9, d));  // 12.2.2: lower -> 500
  BOOST_TEST(d.remoteCseq.value() == 11u);
}

BOOST_AUTO_TEST_CASE(target_refresh) {
  Dialog d = confirmedDialog();
  auto reinvite = parse(
      "INVITE sip:x@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:b@x>;tag=r-tag\n"
      "To: <sip:a@x>;tag=l-tag\nCall-ID: c1@example.com\nCSeq: 3 INVITE\n"
      "Contact: <sip:bob@198.51.100.7:5090>;+sip.instance=\"x\"\nContent-Length: 0\n\n");
  BOOST_TEST(refreshRemoteTarget(*reinvite, d));
  BOOST_TEST(d.remoteTarget == "sip:bob@198.51.100.7:5090");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
