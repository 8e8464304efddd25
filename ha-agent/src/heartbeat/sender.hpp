#pragma once
// Bytes out (docs/heartbeat.md): the agent's SendHeartbeat actions become signed datagrams, one
// sequence number each, from one counter shared by both paths. No socket and no clock: the
// driver hands in its boot id and the send time, and sends the bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "decision/peer_state.hpp"
#include "heartbeat/authenticator.hpp"
#include "heartbeat/message.hpp"
#include "heartbeat/pair_key.hpp"

namespace sipha::agent::heartbeat {

// A body and its tag: 75 .. 137 bytes.
inline constexpr std::size_t kMinDatagramBytes = kMinBodyBytes + kTagBytes;
inline constexpr std::size_t kMaxDatagramBytes = kMaxBodyBytes + kTagBytes;

struct Datagram {
  std::array<std::uint8_t, kMaxDatagramBytes> bytes{};
  std::size_t size = 0;

  std::span<const std::uint8_t> view() const noexcept { return {bytes.data(), size}; }
};

// The boot id of a run of the agent: above the one persisted by the previous run, and at least
// the wall clock in µs, so that a node whose state directory was lost still starts above its
// earlier runs while its clock is right. The agent persists (fsync) the result before its first
// heartbeat. Never 0.
std::uint64_t nextBootId(std::uint64_t persistedBootId, std::uint64_t wallClockUs) noexcept;

class Sender {
 public:
  // `bootId` from nextBootId(), already on disk.
  Sender(const PairKey& key, std::uint64_t bootId);

  bool ok() const noexcept { return authenticator_.ok(); }

  // The next heartbeat on `path`. Nullopt (and no sequence number used) when the state cannot be
  // encoded (an invalid node id: validNodeId()), the boot's sequence numbers are exhausted, or
  // signing failed; the agent then runs a new boot.
  std::optional<Datagram> seal(Path path, const PeerState& state, std::uint64_t sendTimeUs);

  std::uint64_t bootId() const noexcept { return bootId_; }
  std::uint64_t nextSequence() const noexcept { return next_; }

 private:
  Authenticator authenticator_;
  std::uint64_t bootId_;
  std::uint64_t next_ = 1;
};

// The body and tag of `heartbeat` as they go on the wire (the fields as given, which Sender
// chooses itself): for tests and tools. Nullopt as for Sender::seal.
std::optional<Datagram> sealHeartbeat(const Heartbeat& heartbeat, Authenticator& authenticator);

}  // namespace sipha::agent::heartbeat
