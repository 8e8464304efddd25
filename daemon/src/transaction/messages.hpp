#pragma once
// What the transaction layer needs to know about a message: a few views over the received buffer,
// filled by the daemon from its parsed message. The layer copies what it keeps (the key fields)
// and never holds on to these views.
#include <cstdint>
#include <string_view>

#include "sip/method.hpp"
#include "transport/peer.hpp"

namespace sipha::transaction {

// RFC 3261 8.1.1.7: branches of RFC 3261 elements start with the magic cookie.
inline constexpr std::string_view kMagicCookie = "z9hG4bK";

constexpr bool isRfc3261Branch(std::string_view branch) noexcept {
  return branch.size() > kMagicCookie.size() && branch.starts_with(kMagicCookie);
}

struct IncomingRequest {
  sip::Method method = sip::Method::Unknown;
  std::string_view branch;      // top Via branch parameter, may be empty
  std::string_view sentBy;      // top Via sent-by, "host[:port]"
  std::string_view topVia;      // the whole top Via value (RFC 2543 matching only)
  std::string_view requestUri;  // RFC 2543 matching only
  std::string_view callId;
  std::string_view fromTag;
  std::string_view toTag;  // empty outside a dialog
  std::uint32_t cseq = 0;
  sip::Method cseqMethod = sip::Method::Unknown;
  transport::Peer source;  // where it came from (its kind tells reliable or not)
};

struct IncomingResponse {
  std::uint16_t status = 0;
  std::string_view branch;  // top Via branch
  sip::Method cseqMethod = sip::Method::Unknown;
  // The daemon's own parsed message, handed back untouched in TransactionUser::buildAck.
  const void* message = nullptr;
  transport::Peer source;
};

struct OutgoingRequest {
  sip::Method method = sip::Method::Unknown;
  std::string_view branch;  // the branch the TU put in its top Via (8.1.1.7)
  transport::Peer destination;
};

}  // namespace sipha::transaction
