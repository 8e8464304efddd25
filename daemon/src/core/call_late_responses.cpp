// Responses to INVITEs of ours whose client transaction is over (docs/calls.md "Late
// responses"): the callee answered after Timer B gave it up (RFC 3261 17.1.1.2), so no call
// waits for it any more. A provisional means the callee still rings a call nobody will answer
// or cancel: it gets a CANCEL (9.1, sent once the provisional proves the INVITE arrived). A
// failure gets its ACK (17.1.1.3), so the callee stops retransmitting it. Both are built from
// the response alone — the Via branch is what the callee matches them on (17.2.3); the
// Request-URI, which sipd no longer has, is the To URI.
#include <string>

#include "b2bua/dialog.hpp"
#include "core/call_manager.hpp"
#include "sip/message_builder.hpp"

namespace sipha::core {

using sip::HeaderLine;
using sip::Method;

bool CallManager::answerLateResponse(const sip::Message& response, const transport::Peer& from) {
  const std::uint16_t status = response.statusCode();
  const bool provisional = status > 100 && status < 200;
  if (response.cseq().method != Method::Invite || !(provisional || status >= 300)) return false;
  if (response.vias().size() != 1) return false;  // sipd's INVITEs carry its Via alone
  const sip::Via& via = response.topVia();
  // Only an answer to a request of ours: our sent-by for its transport (else anybody could make
  // sipd send CANCELs).
  const std::string& ours = callConfig_->viaSentBy(via.transport);
  const std::string sentBy = std::string{via.host} + ":" + std::to_string(via.port);
  if (via.branch.empty() || sentBy != ours) return false;

  const std::string viaLine =
      "SIP/2.0/" + std::string{via.transport} + " " + ours + ";branch=" + std::string{via.branch};
  const std::string cseq =
      std::to_string(response.cseq().number) + (provisional ? " CANCEL" : " ACK");
  // 9.1: the CANCEL's To is the INVITE's (no tag); 17.1.1.3: the ACK's is the response's.
  const std::string to =
      provisional ? b2bua::nameAddrWithoutTag(response.to()) : std::string{response.toText()};
  const HeaderLine headers[] = {{"Via", viaLine},
                                {"Max-Forwards", "70"},
                                {"To", to},
                                {"From", response.fromText()},
                                {"Call-ID", response.callId()},
                                {"CSeq", cseq}};
  sip::RequestSpec spec;
  spec.method = provisional ? Method::Cancel : Method::Ack;
  spec.requestUri = response.to().uri;
  spec.headers = headers;
  // Fire and forget, like an ACK (the CANCEL's own 200 and the INVITE's 487 come back as
  // strays: the 487 gets its ACK here).
  sink_.send(from, sip::buildRequest(spec));
  ++(provisional ? counters_.lateCancels : counters_.lateAcks);
  return true;
}

}  // namespace sipha::core
