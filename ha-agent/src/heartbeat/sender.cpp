#include "heartbeat/sender.hpp"

#include <algorithm>
#include <limits>

namespace sipha::agent::heartbeat {

std::uint64_t nextBootId(std::uint64_t persistedBootId, std::uint64_t wallClockUs) noexcept {
  const std::uint64_t next = persistedBootId == std::numeric_limits<std::uint64_t>::max()
                                 ? persistedBootId
                                 : persistedBootId + 1;
  return std::max({next, wallClockUs, std::uint64_t{1}});
}

std::optional<Datagram> sealHeartbeat(const Heartbeat& heartbeat, Authenticator& authenticator) {
  Datagram out;
  BodyBuffer body;
  const std::size_t bodyBytes = encodeBody(heartbeat, body);
  if (bodyBytes == 0) return std::nullopt;
  Tag tag;
  if (!authenticator.sign(std::span<const std::uint8_t>(body.data(), bodyBytes), tag)) {
    return std::nullopt;
  }
  std::copy_n(body.begin(), bodyBytes, out.bytes.begin());
  std::copy(tag.begin(), tag.end(), out.bytes.begin() + static_cast<std::ptrdiff_t>(bodyBytes));
  out.size = bodyBytes + kTagBytes;
  return out;
}

Sender::Sender(const PairKey& key, std::uint64_t bootId) : authenticator_(key), bootId_(bootId) {}

std::optional<Datagram> Sender::seal(Path path, const PeerState& state, std::uint64_t sendTimeUs) {
  Heartbeat heartbeat;
  heartbeat.path = path;
  heartbeat.bootId = bootId_;
  heartbeat.sequence = next_;
  heartbeat.sendTimeUs = sendTimeUs;
  heartbeat.state = state;
  std::optional<Datagram> out = sealHeartbeat(heartbeat, authenticator_);
  if (out) ++next_;
  return out;
}

}  // namespace sipha::agent::heartbeat
