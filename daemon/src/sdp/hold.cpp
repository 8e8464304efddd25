#include "sdp/hold.hpp"

#include <optional>

namespace sipha::sdp {
namespace {

constexpr std::uint32_t bit(std::size_t m) noexcept { return std::uint32_t(1) << m; }

std::string_view zeroAddressFor(std::string_view addrType) noexcept {
  return addrType == "IP6" ? std::string_view("::") : std::string_view("0.0.0.0");
}

bool usable(std::string_view address) noexcept {
  return !address.empty() && address != "0.0.0.0" && address != "::" && address != "-";
}

// Renders semantic directions in `target` form. `semantic[m]` is what stream m must mean.
SdpError render(const SessionDescription& sdp, const std::array<Direction, 32>& semantic,
                HoldStyle target, KnownAddress known, SdpRewrite& out) {
  out.media.assign(sdp.media.size(), MediaRewrite{});
  for (std::size_t m = 0; m < sdp.media.size(); ++m) {
    if (sdp.media[m].port == 0) continue;
    const Connection* c = sdp.effectiveConnection(m);
    const bool zero = c && c->isZero();
    const Direction current = sdp.effectiveDirection(m);
    const Direction want = semantic[m];
    auto& edit = out.media[m];
    if (target == HoldStyle::Rfc3264) {
      // RFC 3264 8.4: hold is expressed by the attribute alone; the address stays real.
      if (current != want) edit.direction = want;
      if (zero) {
        if (usable(known.address)) {
          edit.address = std::string(known.address);
          edit.addrType = std::string(known.addrType);
        } else if (usable(sdp.origin.address)) {
          edit.address = std::string(sdp.origin.address);
          edit.addrType = std::string(sdp.origin.addrType);
        } else {
          return SdpError::NoAddressForHold;
        }
      }
    } else if (!receives(want)) {
      // RFC 2543 B.5: "do not send to me" is c=0.0.0.0; the attribute still says whether we send.
      if (!zero) {
        edit.address = std::string(zeroAddressFor(c ? c->addrType : std::string_view("IP4")));
        if (current != want) edit.direction = want;
      } else if (withoutReceive(current) != want) {
        edit.direction = want;
      }
    } else if (current != want) {
      edit.direction = want;  // receiving streams need a real address, which they already have
    }
  }
  return SdpError::None;
}

Translated finish(const SessionDescription& sdp, std::string_view body, SdpError error,
                  const SdpRewrite& edits) {
  Translated t;
  t.error = error;
  if (error != SdpError::None) return t;
  if (edits.empty()) {
    t.body = std::string(body);
    return t;
  }
  t.changed = true;
  t.body = rewrite(sdp, edits);
  return t;
}

}  // namespace

Direction semanticDirection(const SessionDescription& sdp, std::size_t m) noexcept {
  const Direction d = sdp.effectiveDirection(m);
  const Connection* c = sdp.effectiveConnection(m);
  return (c && c->isZero()) ? withoutReceive(d) : d;
}

HoldInfo analyzeHold(const SessionDescription& sdp) noexcept {
  HoldInfo info;
  for (std::size_t m = 0; m < sdp.media.size() && m < 32; ++m) {
    if (sdp.media[m].port == 0) continue;
    info.active |= bit(m);
    const Connection* c = sdp.effectiveConnection(m);
    if (c && c->isZero()) info.zeroAddress |= bit(m);
    if (!receives(sdp.effectiveDirection(m))) info.holdAttribute |= bit(m);
    if (!receives(semanticDirection(sdp, m))) info.held |= bit(m);
  }
  return info;
}

OfferDirections summarizeOffer(const SessionDescription& offer) noexcept {
  OfferDirections o;
  o.count = std::uint8_t(offer.media.size() < 32 ? offer.media.size() : 32);
  for (std::size_t m = 0; m < o.count; ++m) {
    o.direction[m] = semanticDirection(offer, m);
    if (offer.media[m].port != 0) o.active |= bit(m);
  }
  return o;
}

SdpError planOfferTranslation(const SessionDescription& offer, HoldStyle target,
                              KnownAddress senderAddress, SdpRewrite& out) {
  std::array<Direction, 32> semantic{};
  for (std::size_t m = 0; m < offer.media.size() && m < 32; ++m) {
    semantic[m] = semanticDirection(offer, m);
  }
  return render(offer, semantic, target, senderAddress, out);
}

SdpError planAnswerTranslation(const SessionDescription& answer, const OfferDirections& offer,
                               HoldStyle target, KnownAddress answererAddress, SdpRewrite& out) {
  std::array<Direction, 32> semantic{};
  for (std::size_t m = 0; m < answer.media.size() && m < 32; ++m) {
    semantic[m] = semanticDirection(answer, m);
    // RFC 3264 6.1: sendonly offered -> recvonly or inactive answered, and so on.
    if (m < offer.count && (offer.active & bit(m)) != 0) {
      semantic[m] = intersect(semantic[m], reverse(offer.direction[m]));
    }
  }
  return render(answer, semantic, target, answererAddress, out);
}

Translated translateOffer(const SessionDescription& offer, std::string_view body, HoldStyle target,
                          KnownAddress senderAddress) {
  SdpRewrite edits;
  const auto error = planOfferTranslation(offer, target, senderAddress, edits);
  return finish(offer, body, error, edits);
}

Translated resumeOffer(const SessionDescription& offer, std::string_view body,
                       KnownAddress senderAddress) {
  std::array<Direction, 32> semantic{};
  semantic.fill(Direction::SendRecv);
  SdpRewrite edits;
  // A stream that sends and receives has a real address in either hold form: rendered as
  // RFC 3264, the direction becomes sendrecv and a 0.0.0.0 the sender's known address.
  const auto error = render(offer, semantic, HoldStyle::Rfc3264, senderAddress, edits);
  return finish(offer, body, error, edits);
}

Translated translateAnswer(const SessionDescription& answer, std::string_view body,
                           const OfferDirections& offer, HoldStyle target,
                           KnownAddress answererAddress) {
  SdpRewrite edits;
  const auto error = planAnswerTranslation(answer, offer, target, answererAddress, edits);
  return finish(answer, body, error, edits);
}

}  // namespace sipha::sdp
