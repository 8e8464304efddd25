#pragma once
// Shared by the b2bua unit tests: deterministic ids, messages written as text ("\n" becomes
// CRLF) and parsed with sip::parseMessage, and lookups over a Call's actions.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "b2bua/actions.hpp"
#include "b2bua/call.hpp"
#include "b2bua/ids.hpp"
#include "sip/message_builder.hpp"
#include "sip/parser.hpp"
// crlf() and the Method printer Boost.Test uses: shared with the sip tests.
#include "../sip/test_messages.hpp"

namespace sipha::b2bua {
inline std::ostream& operator<<(std::ostream& os, CallState s) { return os << callStateName(s); }
inline std::ostream& operator<<(std::ostream& os, LegId l) {
  return os << (l == LegId::Inbound ? "inbound" : "outbound");
}
inline std::ostream& operator<<(std::ostream& os, ActionKind k) {
  return os << static_cast<int>(k);
}
inline std::ostream& operator<<(std::ostream& os, StateEventKind k) {
  return os << static_cast<int>(k);
}
inline std::ostream& operator<<(std::ostream& os, DialogError e) {
  return os << static_cast<int>(e);
}
inline std::ostream& operator<<(std::ostream& os, DialogState s) {
  return os << static_cast<int>(s);
}
}  // namespace sipha::b2bua

namespace sipha::b2bua::test {

class SequentialIds final : public IdSource {
 public:
  std::string tag() override { return "tag" + std::to_string(++tags_); }
  std::string callId() override { return "out-call-" + std::to_string(++callIds_); }
  std::string branch() override { return "z9hG4bKb2b" + std::to_string(++branches_); }

 private:
  int tags_ = 0;
  int callIds_ = 0;
  int branches_ = 0;
};

using sip::test::crlf;

// Parses text written with "\n" line ends; fails the test on a parse error.
inline std::unique_ptr<sip::Message> parse(std::string_view text, bool convert = true) {
  sip::ParseResult result = sip::parseMessage(convert ? crlf(text) : std::string(text));
  BOOST_REQUIRE_MESSAGE(result.ok(), "parse error: " << result.reason() << "\n" << text);
  return std::move(result.message);
}

// Parses bytes the Call produced (already CRLF).
inline std::unique_ptr<sip::Message> parseWire(std::string_view bytes) {
  return parse(bytes, false);
}

inline std::vector<std::string_view> valuesOf(const sip::Message& m, sip::HeaderId id) {
  std::vector<std::string_view> values;
  for (std::string_view v : m.values(id)) values.push_back(v);
  return values;
}

inline std::vector<const Action*> actionsOf(const Output& out, ActionKind kind) {
  std::vector<const Action*> found;
  for (const Action& a : out.actions) {
    if (a.kind == kind) found.push_back(&a);
  }
  return found;
}

inline const Action* request(const Output& out, LegId leg, sip::Method method) {
  for (const Action& a : out.actions) {
    if (a.kind == ActionKind::SendRequest && a.leg == leg && a.method == method) return &a;
  }
  return nullptr;
}

inline const Action* response(const Output& out, LegId leg, std::uint16_t status) {
  for (const Action& a : out.actions) {
    if (a.kind == ActionKind::SendResponse && a.leg == leg && a.status == status) return &a;
  }
  return nullptr;
}

inline const Action* timer(const Output& out, ActionKind kind, TimerKind timerKind, LegId leg) {
  for (const Action& a : out.actions) {
    if (a.kind == kind && a.timer == TimerId{timerKind, leg}) return &a;
  }
  return nullptr;
}

inline bool ended(const Output& out) { return !actionsOf(out, ActionKind::CallEnded).empty(); }

// The peer's answer to a request the Call sent: the callee as a UAS (RFC 3261 8.2.6).
struct PeerResponse {
  std::uint16_t status = 200;
  std::string_view reason = "OK";
  std::string_view toTag = "callee";
  std::vector<sip::HeaderLine> headers;
  std::string_view contentType;
  std::string_view body;
};

inline std::unique_ptr<sip::Message> answer(const Action& sent, const PeerResponse& peer) {
  auto req = parseWire(sent.bytes);
  sip::ResponseSpec spec;
  spec.status = peer.status;
  spec.reason = peer.reason;
  spec.toTag = peer.toTag;
  spec.headers = peer.headers;
  spec.contentType = peer.contentType;
  spec.body = peer.body;
  return parseWire(sip::buildResponse(*req, spec));
}

inline constexpr std::string_view kOfferSdp =
    "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n";
inline constexpr std::string_view kAnswerSdp =
    "v=0\r\no=bob 7 7 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
    "m=audio 5000 RTP/AVP 0\r\n";

// The end of a test message: extra header lines, the SDP body with its Content-Type and
// Content-Length, "\n" turned into CRLF in the head only.
inline std::string finishMessage(std::string text, std::string_view extra, std::string_view body) {
  text += extra;
  if (!body.empty()) text += "Content-Type: application/sdp\n";
  text += "Content-Length: " + std::to_string(body.size()) + "\n\n";
  std::string out = crlf(text);
  out += body;
  return out;
}

// The caller's INVITE; `extra` lines are inserted before Content-Type.
inline std::string callerInvite(std::string_view body = kOfferSdp, std::string_view extra = {},
                                std::string_view maxForwards = "70") {
  std::string text =
      "INVITE sip:2002@sipha.example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller1;rport\n"
      "Max-Forwards: " +
      std::string(maxForwards) +
      "\n"
      "Record-Route: <sip:edge1.example.com;lr>\n"
      "From: \"Alice\" <sip:2001@sipha.example.com>;tag=alice-tag\n"
      "To: <sip:2002@sipha.example.com>\n"
      "Call-ID: in-call-1@192.0.2.10\n"
      "CSeq: 10 INVITE\n"
      "Contact: <sip:2001@192.0.2.10:5060>\n"
      "Supported: timer, 100rel\n"
      "Session-Expires: 1800;refresher=uac\n"
      "User-Agent: test-phone\n";
  return finishMessage(std::move(text), extra, body);
}

// A request from the caller within its dialog (To tag = sipd's inbound tag).
inline std::string callerRequest(const Call& call, std::string_view method, std::uint32_t cseq,
                                 std::string_view extra = {}, std::string_view body = {},
                                 std::string_view branch = "z9hG4bKcaller2") {
  const Dialog& d = call.dialog(LegId::Inbound);
  std::string text = std::string(method) + " sip:sipd@10.0.0.1:5060 SIP/2.0\n" +
                     "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=" + std::string(branch) + "\n" +
                     "Max-Forwards: 70\n" +
                     "From: \"Alice\" <sip:2001@sipha.example.com>;tag=alice-tag\n" +
                     "To: <sip:2002@sipha.example.com>;tag=" + d.localTag + "\n" +
                     "Call-ID: in-call-1@192.0.2.10\n" + "CSeq: " + std::to_string(cseq) + " " +
                     std::string(method) + "\n" + "Contact: <sip:2001@192.0.2.10:5060>\n";
  return finishMessage(std::move(text), extra, body);
}

// A request from the callee within the outbound dialog.
inline std::string calleeRequest(const Call& call, std::string_view method, std::uint32_t cseq,
                                 std::string_view extra = {}, std::string_view body = {},
                                 std::string_view branch = "z9hG4bKcallee9") {
  const Dialog& d = call.dialog(LegId::Outbound);
  std::string text = std::string(method) + " sip:sipd@10.0.0.1:5060 SIP/2.0\n" +
                     "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=" + std::string(branch) + "\n" +
                     "Max-Forwards: 70\n" + "From: " + d.remoteUri +
                     (d.remoteTag.empty() ? std::string() : ";tag=" + d.remoteTag) + "\n" +
                     "To: " + d.localUri + ";tag=" + d.localTag + "\n" + "Call-ID: " + d.callId +
                     "\n" + "CSeq: " + std::to_string(cseq) + " " + std::string(method) + "\n" +
                     "Contact: <sip:2002@192.0.2.20:5070>\n";
  return finishMessage(std::move(text), extra, body);
}

// Two targets by default: a trunk gateway and its backup.
inline RouteDecision twoTargets() {
  RouteDecision route;
  Target a;
  a.requestUri = "sip:2002@192.0.2.20:5070";
  Target b;
  b.requestUri = "sip:2002@192.0.2.30:5070";
  b.nextHop = "sip:192.0.2.30:5070;transport=tcp";
  b.transport = "TCP";
  route.targets = {a, b};
  return route;
}

struct CallFixture {
  CallFixture() {
    config.setLocal("10.0.0.1", 5060, 5061);
    config.udp.contact = "<sip:sipd@10.0.0.1:5060>";
  }

  // Caller INVITE in; returns the outbound INVITE action (copied).
  Action startCall(std::string invite = callerInvite(), RouteDecision route = twoTargets()) {
    out.clear();
    InboundContext context = inbound;
    context.server = 1;
    context.transfer = inboundPolicy;
    call.start(parseWire(invite), context, std::move(route), out);
    const Action* sent = request(out, LegId::Outbound, sip::Method::Invite);
    return sent ? *sent : Action{};
  }

  // `sent` may point into `out`: the answer is built before `out` is cleared.
  void respondOutbound(const Action& sent, const PeerResponse& peer) {
    auto message = answer(sent, peer);
    out.clear();
    call.onResponse(LegId::Outbound, *message, out);
  }

  void respondInbound(const Action& sent, const PeerResponse& peer) {
    auto message = answer(sent, peer);
    out.clear();
    call.onResponse(LegId::Inbound, *message, out);
  }

  void requestIn(LegId leg, const std::string& bytes, ServerRef server = 7) {
    out.clear();
    call.onRequest(leg, parseWire(bytes), server, out);
  }

  static PeerResponse ok200(std::string_view body = kAnswerSdp) {
    PeerResponse peer;
    peer.headers = {{"Contact", "<sip:2002@192.0.2.20:5070>"},
                    {"Record-Route", "<sip:gw-edge.example.com;lr>"},
                    {"Session-Expires", "1800;refresher=uac"},
                    {"Require", "timer"}};
    if (!body.empty()) {
      peer.contentType = "application/sdp";
      peer.body = body;
    }
    return peer;
  }

  // Drives INVITE / 180 / 200 / ACK: the call is Confirmed. Returns the outbound INVITE.
  Action establish() {
    Action invite = startCall();
    PeerResponse ringing;
    ringing.status = 180;
    ringing.reason = "Ringing";
    ringing.headers = {{"Contact", "<sip:2002@192.0.2.20:5070>"}};
    respondOutbound(invite, ringing);
    respondOutbound(invite, ok200());
    requestIn(LegId::Inbound, callerRequest(call, "ACK", 10, {}, {}, "z9hG4bKcallerack"));
    BOOST_REQUIRE_EQUAL(call.state(), CallState::Confirmed);
    return invite;
  }

  CallConfig config;
  SequentialIds ids;
  TransferPolicy inboundPolicy;  // of the caller's DN (transfers)
  InboundContext inbound;        // transport, TLS and flow of the caller's INVITE
  Call call{config, ids};
  Output out;
};

}  // namespace sipha::b2bua::test
