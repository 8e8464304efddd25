#include "sdp/relay.hpp"

namespace sipha::sdp {

RelayResult relaySdp(const RelayRequest& request, LegSdpState& from, LegSdpState& to) {
  RelayResult result;
  const auto parsed = parseSdp(request.body, request.limits);
  if (!parsed.ok()) {
    result.error = parsed.error;
    return result;
  }
  const auto& sdp = parsed.sdp;
  result.hold = analyzeHold(sdp);
  // A real address in this body is the best one; a 0.0.0.0 one leaves the previous one.
  from.observeReceived(sdp);
  Translated t;
  if (request.role == BodyRole::Answer && request.offer) {
    t = translateAnswer(sdp, request.body, *request.offer, request.targetStyle,
                        from.knownAddress());
  } else if (request.resume) {
    Translated resumed = resumeOffer(sdp, request.body, from.knownAddress());
    if (resumed.error != SdpError::None) {
      result.error = resumed.error;
      return result;
    }
    // What is offered now is the resumed body: the answer is checked against it.
    const auto again = parseSdp(resumed.body, request.limits);
    if (!again.ok()) {
      result.error = again.error;
      return result;
    }
    result.offer = summarizeOffer(again.sdp);
    t = translateOffer(again.sdp, resumed.body, request.targetStyle, from.knownAddress());
  } else {
    result.offer = summarizeOffer(sdp);
    t = translateOffer(sdp, request.body, request.targetStyle, from.knownAddress());
  }
  if (t.error != SdpError::None) {
    result.error = t.error;
    return result;
  }
  // Changes `to` only on success.
  if (const auto e = to.stampOutgoing(t.body); e != SdpError::None) {
    result.error = e;
    return result;
  }
  result.body = std::move(t.body);
  result.translated = t.changed;
  return result;
}

}  // namespace sipha::sdp
