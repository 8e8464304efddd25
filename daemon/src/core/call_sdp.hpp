#pragma once
// The B2BUA's BodyTransform over sipha::sdp (docs/hold.md, docs/calls.md): each SDP body that
// crosses a call goes through relaySdp() with the receiving leg's hold style
// (sip-hold-rfc3264), so a hold arrives on the other leg in that leg's form (RFC 3264 8.4 or
// RFC 2543), and sipd presents its own o= line and version to each leg (RFC 3264 8).
// One per call. Offer or answer is told from the direction of the last offer: a request body
// is an offer (an ACK's, or a PRACK's answering a pending offer, is the answer), a response body
// is the answer to the offer that went the other way, else an offer (delayed offer, RFC 3261
// 13.2.1). A body that is not SDP, or that does not parse, passes unchanged (counted).
#include <cstdint>
#include <string>
#include <string_view>

#include "b2bua/body_transform.hpp"
#include "sdp/relay.hpp"

namespace sipha::core {

class SdpBodyTransform final : public b2bua::BodyTransform {
 public:
  SdpBodyTransform(bool holdRfc3264, std::uint64_t& errors)
      : style_(sdp::holdStyleFor(holdRfc3264)), errors_(errors) {}

  std::string transform(const b2bua::BodyContext& context, std::string_view body) override;
  // A transfer moved dialogs between slots: their o= state follows them.
  void swapLegs(b2bua::LegId a, b2bua::LegId b) override;

  // Replication: the o= state presented toward a leg, and its restoration on the new primary.
  const sdp::LegSdpState& legState(b2bua::LegId leg) const noexcept {
    return legs_[b2bua::legIndex(leg)];
  }
  void restoreLeg(b2bua::LegId leg, const sdp::LegSdpState& state) {
    legs_[b2bua::legIndex(leg)] = state;
  }

 private:
  sdp::HoldStyle style_;
  std::uint64_t& errors_;
  sdp::LegSdpState legs_[b2bua::kLegSlots];
  bool offerValid_ = false;
  b2bua::LegId offerFrom_ = b2bua::LegId::Inbound;
  sdp::OfferDirections offer_;
};

}  // namespace sipha::core
