#pragma once
// One call for the B2BUA: an SDP body received on one leg, made ready to send on the other.
//   parse (RFC 4566) -> remember the sender's media address -> translate the hold form for the
//   receiving leg (offer) or back to the offerer's form (answer) -> stamp the receiving leg's
//   o= line (RFC 3264 8).
// The caller classifies the body first with OfferAnswer (BodyRole) and keeps `offer` from the
// relayed offer until its answer comes back. The SDP of an unreliable 1xx (early media preview,
// RFC 3261 13.2.1) is relayed as an Answer too: the same answer in the 2xx keeps the version.
#include <string>
#include <string_view>

#include "sdp/hold.hpp"
#include "sdp/leg_state.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/sdp_error.hpp"

namespace sipha::sdp {

struct RelayRequest {
  std::string_view body;                       // as received on the sending leg
  BodyRole role = BodyRole::Offer;             // Offer or Answer (None / Ignored: nothing to relay)
  HoldStyle targetStyle = HoldStyle::Rfc3264;  // sip-hold-rfc3264 of the receiving leg
  const OfferDirections* offer = nullptr;      // for an answer: what the offerer offered
  SdpLimits limits{};
  // An offer made afresh to a new party from the sender's last session (a transfer): its held
  // streams are offered resumed (resumeOffer), then rendered in the receiving leg's form.
  bool resume = false;
};

struct RelayResult {
  SdpError error = SdpError::None;  // parse or translation error: answer 488 / drop, and count
  std::string body;                 // the body to send on the receiving leg
  HoldInfo hold;                    // of the received body, for logs and D-Bus (call on hold)
  OfferDirections offer;            // for an offer: keep until its answer is relayed back
  bool translated = false;          // the hold form was rewritten

  bool ok() const noexcept { return error == SdpError::None; }
};

// `from`: state of the leg the body arrived on (its real media address is remembered once the
// body parses); `to`: state of the leg it goes out on (its o= version, changed only on success).
RelayResult relaySdp(const RelayRequest& request, LegSdpState& from, LegSdpState& to);

}  // namespace sipha::sdp
