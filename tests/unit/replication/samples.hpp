#pragma once
// Records and frames of every kind for the replication tests, with optional fields present or
// absent.
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "replication/frame.hpp"
#include "replication/record.hpp"

namespace sipha::replication {

inline std::ostream& operator<<(std::ostream& os, RecordError error) {
  return os << recordErrorName(error);
}
inline std::ostream& operator<<(std::ostream& os, FrameError error) {
  return os << frameErrorName(error);
}

}  // namespace sipha::replication

namespace sipha::replication::test {

inline registrar::Event bindingAdded() {
  registrar::Event e;
  e.seq = 0x0102030405060708ULL;
  e.kind = registrar::EventKind::Added;
  e.aor = "1001@sip.example.com";
  e.contactUri = "sip:1001@192.0.2.10:5062;transport=tcp";
  e.callId = "a84b4c76e66710@pc33";
  e.cseq = 314159;
  e.expiresAt = 1'767'225'600 + 3600;
  e.q = 700;
  e.params = ";+sip.instance=\"<urn:uuid:1>\"";
  e.source = "tcp:192.0.2.10:40000";
  return e;
}

inline registrar::Event bindingRefreshedWithoutQ() {
  registrar::Event e = bindingAdded();
  e.seq += 1;
  e.kind = registrar::EventKind::Refreshed;
  e.q.reset();
  e.expiresAt = -1;  // signed: kept as it is
  return e;
}

inline registrar::Event bindingRemoved(registrar::EventKind kind = registrar::EventKind::Removed) {
  registrar::Event e;
  e.seq = 9;
  e.kind = kind;
  e.aor = "x@y";
  e.contactUri = "sip:x@z";
  return e;
}

inline CallLegRecord callLeg() {
  CallLegRecord r;
  b2bua::StateEvent& e = r.event;
  e.sequence = 7;
  e.kind = b2bua::StateEventKind::LegUpdated;
  e.callKey = "in-call-1@192.0.2.10";
  e.leg = b2bua::LegId::Outbound;
  b2bua::Dialog& d = e.dialog;
  d.state = b2bua::DialogState::Confirmed;
  d.callId = "out-call-1";
  d.localTag = "tag2";
  d.remoteTag = "callee";
  d.localUri = "\"Alice, A\" <sip:2001@x>";
  d.remoteUri = "<sip:2002@x>";
  d.remoteTarget = "sip:2002@192.0.2.20:5070";
  d.routeSet = {"<sip:p1;lr>", "<sip:p2;lr>"};
  d.localCseq = 3;
  d.remoteCseq = 0xFFFFFFFFu;
  d.secure = true;
  d.transport = "TLS";
  d.localSdp = std::string("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n") + std::string("\0binary,:", 9);
  d.remoteSdp = "v=0\r\no=- 2 2 IN IP4 192.0.2.2\r\n";
  r.sdpState = "o=sipha sess=1 ver=3";
  return r;
}

// Early inbound leg: no CSeqs, no route set, not secure, no SDP state yet.
inline CallLegRecord callLegBare() {
  CallLegRecord r;
  r.event.sequence = 1;
  r.event.callKey = "k";
  r.event.leg = b2bua::LegId::Inbound;
  r.event.dialog.state = b2bua::DialogState::Early;
  r.event.dialog.callId = "k";
  return r;
}

inline CallLegRecord callEnded() {
  CallLegRecord r;
  r.event.sequence = 8;
  r.event.kind = b2bua::StateEventKind::CallEnded;
  r.event.callKey = "in-call-1@192.0.2.10";
  return r;
}

inline TrunkRecord trunk() {
  TrunkRecord t;
  t.dn = "softswitch";
  t.contact = "sip:192.0.2.30:5060;transport=udp";
  t.inService = false;
  t.reason = 2;
  t.sinceUsec = 1'767'225'600'123'456ULL;
  return t;
}

inline SecretRecord secret() { return SecretRecord{std::string("\x01\x00\xff secret", 10)}; }

// A ringing call with its early dialogs, our INVITE's fields and both legs' SDP state.
inline EarlyCallRecord earlyCall() {
  EarlyCallRecord r;
  b2bua::EarlyCall& c = r.call;
  c.callKey = "in-call-2@192.0.2.10";
  c.invite = "INVITE sip:2002@x SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\r\n";
  c.source = "udp:192.0.2.1:5060";
  c.inboundTo = "<sip:2002@x>";
  c.inbound = callLegBare().event.dialog;
  c.outbound = callLeg().event.dialog;
  c.outbound.state = b2bua::DialogState::Early;
  c.inviteCseq = 1;
  c.branch = "z9hG4bKout";
  c.requestUri = "sip:2002@192.0.2.20:5070";
  c.nextHop = "sip:proxy;lr";
  c.to = "<sip:2002@x>";
  c.routes = {"<sip:proxy;lr>"};
  c.transport = "TCP";
  c.noAnswerMs = 20000;
  r.sdpState[1] = "o=sipha sess=9 ver=1";
  return r;
}

inline std::vector<Record> allRecords() {
  return {bindingAdded(),   bindingRefreshedWithoutQ(),
          bindingRemoved(), bindingRemoved(registrar::EventKind::Expired),
          callLeg(),        callLegBare(),
          callEnded(),      trunk(),
          TrunkRecord{},    secret(),
          SecretRecord{},   earlyCall(),
          EarlyCallRecord{}};
}

// 1 to 4 random bytes overwritten, and a third of the time a random cut.
inline std::string mutate(const std::string& bytes, std::mt19937& random) {
  std::string mutated = bytes;
  const int flips = 1 + static_cast<int>(random() % 4);
  for (int i = 0; i < flips; ++i) {
    mutated[random() % mutated.size()] = static_cast<char>(random() & 0xFF);
  }
  if (random() % 3 == 0) mutated.resize(random() % (mutated.size() + 1));
  return mutated;
}

inline std::string encoded(const Record& record) {
  std::string out;
  BOOST_REQUIRE(encodeRecord(record, out));
  return out;
}

}  // namespace sipha::replication::test
