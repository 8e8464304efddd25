#include "core/call_sdp.hpp"

#include <utility>

namespace sipha::core {

std::string SdpBodyTransform::transform(const b2bua::BodyContext& context, std::string_view body) {
  if (body.empty() || !b2bua::isSdpType(context.contentType)) return std::string{body};
  const bool answersPending = offerValid_ && offerFrom_ == context.to;
  bool answer = false;
  if (context.status != 0) {
    answer = answersPending;  // 1xx/2xx answering the offer relayed the other way
  } else if (context.method == sip::Method::Ack || context.method == sip::Method::Prack) {
    answer = answersPending;
  }
  sdp::RelayRequest request;
  request.body = body;
  request.role = answer ? sdp::BodyRole::Answer : sdp::BodyRole::Offer;
  request.targetStyle = style_;
  request.offer = answer ? &offer_ : nullptr;
  request.resume = !answer && context.freshOffer;
  sdp::RelayResult result = sdp::relaySdp(request, legs_[b2bua::legIndex(context.from)],
                                          legs_[b2bua::legIndex(context.to)]);
  if (!result.ok()) {
    ++errors_;
    return std::string{body};
  }
  if (!answer) {
    offer_ = result.offer;
    offerFrom_ = context.from;
    offerValid_ = true;
  }
  return std::move(result.body);
}

void SdpBodyTransform::swapLegs(b2bua::LegId a, b2bua::LegId b) {
  std::swap(legs_[b2bua::legIndex(a)], legs_[b2bua::legIndex(b)]);
  // A pending offer from a slot that changed hands is no longer answered there.
  if (offerValid_ && (offerFrom_ == a || offerFrom_ == b)) offerValid_ = false;
}

}  // namespace sipha::core
