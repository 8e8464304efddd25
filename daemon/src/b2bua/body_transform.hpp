#pragma once
// The hook where a message body is rewritten while it crosses from one leg to the other (the SDP
// layer plugs hold translation and media anchoring in here). Without one, bodies pass unchanged.
#include <cstdint>
#include <string>
#include <string_view>

#include "b2bua/types.hpp"
#include "sip/method.hpp"

namespace sipha::b2bua {

struct BodyContext {
  LegId from = LegId::Inbound;                // the leg the body arrived on
  LegId to = LegId::Outbound;                 // the leg it is relayed to
  sip::Method method = sip::Method::Unknown;  // of the request, or the CSeq method of a response
  std::uint16_t status = 0;                   // 0 for a request
  std::string_view contentType;
  // The `from` leg's last session offered afresh to a new party (a transfer sipd performs): a
  // hold between the old parties must not carry over (the transform resumes held streams).
  bool freshOffer = false;
};

// "application/sdp" (case-insensitive, parameters allowed; RFC 3261 20.15).
bool isSdpType(std::string_view contentType) noexcept;

class BodyTransform {
 public:
  virtual ~BodyTransform() = default;
  // Returns the body to send on `context.to`.
  virtual std::string transform(const BodyContext& context, std::string_view body) = 0;
  // A transfer moved the dialog of slot `a` into slot `b` and the other way round: per-leg
  // state (o= versions) follows its dialog.
  virtual void swapLegs(LegId /*a*/, LegId /*b*/) {}
};

}  // namespace sipha::b2bua
