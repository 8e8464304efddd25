#pragma once
// Hold detection and translation between the two hold forms (sip-hold-rfc3264):
//  - RFC 3264 8.4: the holder marks streams a=sendonly (or a=inactive) and keeps its address;
//  - RFC 2543 B.5: the holder sets c=0.0.0.0 ("do not send to me").
// Both are read into one meaning per stream, the *semantic direction*: the direction attribute
// with "receive" removed when the address is 0.0.0.0. A stream is held when it does not receive.
// Translation renders that meaning in the form the receiving leg is configured for.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sdp/direction.hpp"
#include "sdp/rewrite.hpp"
#include "sdp/sdp_error.hpp"
#include "sdp/session_description.hpp"

namespace sipha::sdp {

enum class HoldStyle : std::uint8_t {
  Rfc3264,  // a=sendonly / a=inactive, never c=0.0.0.0
  Rfc2543,  // c=0.0.0.0 on held streams
};

constexpr HoldStyle holdStyleFor(bool sipHoldRfc3264) noexcept {
  return sipHoldRfc3264 ? HoldStyle::Rfc3264 : HoldStyle::Rfc2543;
}

// Bit m describes the m-th m= line (parseSdp allows at most 32).
struct HoldInfo {
  std::uint32_t active = 0;         // port != 0
  std::uint32_t held = 0;           // active and not receiving (sendonly / inactive / 0.0.0.0)
  std::uint32_t zeroAddress = 0;    // active with c=0.0.0.0 (or ::)
  std::uint32_t holdAttribute = 0;  // active with effective a=sendonly or a=inactive

  // Every active stream is held (a call on hold); false for an SDP without active streams.
  bool onHold() const noexcept { return active != 0 && (held & active) == active; }
  bool anyHeld() const noexcept { return held != 0; }
  // The form the holder used: RFC 2543 when any held stream carries 0.0.0.0.
  HoldStyle style() const noexcept {
    return (held & zeroAddress) != 0 ? HoldStyle::Rfc2543 : HoldStyle::Rfc3264;
  }
};

Direction semanticDirection(const SessionDescription& sdp, std::size_t m) noexcept;
HoldInfo analyzeHold(const SessionDescription& sdp) noexcept;

// What an offer meant per stream, kept by the B2BUA until the answer arrives (RFC 3264 6.1:
// the answer's direction must fit the reverse of the offer's).
struct OfferDirections {
  std::array<Direction, 32> direction{};
  std::uint8_t count = 0;
  std::uint32_t active = 0;
};
OfferDirections summarizeOffer(const SessionDescription& offer) noexcept;

// An address to write instead of 0.0.0.0 in the RFC 3264 form: the sender's last real media
// address (LegSdpState::knownAddress()). Empty: fall back to the o= address.
struct KnownAddress {
  std::string_view addrType;
  std::string_view address;
};

// The edits that present `offer` to a leg using `target`. Streams already in the target form,
// resumed streams and disabled streams (port 0) are left alone.
SdpError planOfferTranslation(const SessionDescription& offer, HoldStyle target,
                              KnownAddress senderAddress, SdpRewrite& out);

// The edits that present `answer` back to the offerer's leg (form `target`): each stream's
// direction is limited to the reverse of what the original offer meant, then rendered.
SdpError planAnswerTranslation(const SessionDescription& answer, const OfferDirections& offer,
                               HoldStyle target, KnownAddress answererAddress, SdpRewrite& out);

struct Translated {
  SdpError error = SdpError::None;
  bool changed = false;
  std::string body;  // the body to send (a copy of the input when unchanged)
};

Translated translateOffer(const SessionDescription& offer, std::string_view body, HoldStyle target,
                          KnownAddress senderAddress);
// `offer` with every active stream sending and receiving, at a real address: a held party's last
// session offered afresh to someone new (a transfer sipd performs, docs/b2bua.md "Transfers"),
// who must not inherit the hold — RFC 3264 8.4: the hold is between the two old parties.
Translated resumeOffer(const SessionDescription& offer, std::string_view body,
                       KnownAddress senderAddress);
Translated translateAnswer(const SessionDescription& answer, std::string_view body,
                           const OfferDirections& offer, HoldStyle target,
                           KnownAddress answererAddress);

}  // namespace sipha::sdp
