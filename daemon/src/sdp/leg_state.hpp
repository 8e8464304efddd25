#pragma once
// Per-leg SDP state of a B2BUA call, small and serializable (for replication to the peer):
//  - the o= line sipd presents toward the leg: RFC 3264 5 and 8 require username, sess-id and
//    address to stay the same for the session and sess-version to grow by one exactly when the
//    content sent changes (re-sending unchanged content keeps the version);
//  - the last real media address the leg itself sent, to replace c=0.0.0.0 when its RFC 2543
//    hold is presented in the RFC 3264 form to the other leg.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sdp/hold.hpp"
#include "sdp/sdp_error.hpp"
#include "sdp/session_description.hpp"

namespace sipha::sdp {

class LegSdpState {
 public:
  // Gives `body` (a complete SDP about to be sent toward this leg) this leg's o= line. The first
  // body fixes username, sess-id, nettype, addrtype, address and the starting version; later
  // bodies get the same fields and version+1 when anything other than the o= line differs from
  // the previous body sent. MalformedOrigin / MissingOrigin when `body` has no valid o= line.
  SdpError stampOutgoing(std::string& body);

  // Remembers the first active stream's non-zero connection address of an SDP the leg sent.
  void observeReceived(const SessionDescription& sdp);
  KnownAddress knownAddress() const noexcept { return {receivedAddrType_, receivedAddress_}; }

  bool hasSent() const noexcept { return sent_; }
  std::uint64_t version() const noexcept { return version_; }
  const std::string& sessionId() const noexcept { return sessionId_; }

  // One line of "key=value" fields separated by spaces; deserialize() refuses anything else.
  std::string serialize() const;
  static std::optional<LegSdpState> deserialize(std::string_view text);

  bool operator==(const LegSdpState&) const = default;

 private:
  bool sent_ = false;
  std::string username_;
  std::string sessionId_;
  std::uint64_t version_ = 0;
  std::string netType_;
  std::string addrType_;
  std::string address_;
  std::uint64_t digest_ = 0;  // FNV-1a 64 of the last body sent, without its o= line
  std::string receivedAddrType_;
  std::string receivedAddress_;
};

}  // namespace sipha::sdp
