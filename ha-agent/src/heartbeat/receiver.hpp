#pragma once
// Bytes in (docs/heartbeat.md, "Receiving"): one datagram, the path it arrived on, and the
// verdict — a verified heartbeat for the role decision, or why it was dropped. Every datagram is
// counted exactly once, under accepted or under its drop reason; the agent shows the counters on
// D-Bus. No socket, no clock, no log: the driver does those (the error policy: drop, count, never
// log per packet).
//
// The checks, in this order (the first that fails names the drop):
//   size and magic and version (before the tag: stray traffic costs no HMAC), the tag, the body's
//   fields, the sender (not this node; the peer), the path (the one it arrived on), and last the
//   sender's boot and replay window (only a heartbeat that passed everything else moves it).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "decision/events.hpp"
#include "decision/peer_state.hpp"
#include "decision/time.hpp"
#include "heartbeat/authenticator.hpp"
#include "heartbeat/message.hpp"
#include "heartbeat/pair_key.hpp"
#include "heartbeat/replay_window.hpp"

namespace sipha::agent::heartbeat {

enum class DropReason : std::uint8_t {
  TooShort,     // under the smallest heartbeat and its tag
  TooLong,      // over the largest
  BadMagic,     // not a heartbeat
  BadVersion,   // a heartbeat version this agent does not speak
  BadMac,       // the tag does not verify: another key, a damaged or forged datagram
  Malformed,    // authenticated, but a field out of range (a peer bug): Verdict::decodeError
  FromSelf,     // this node's own node id (looped back, or both nodes configured alike)
  UnknownPeer,  // a node id that is not the peer's
  WrongPath,    // sent on one path, arrived on the other (a misrouted path proves nothing)
  OldBoot,      // a boot of the peer older than one already heard: a replay
  Replayed,     // a sequence number already accepted in the current boot
  TooOld,       // behind the replay window
};
inline constexpr std::size_t kDropReasonCount = 12;

std::string_view dropReasonName(DropReason reason) noexcept;

struct ReceiverCounters {
  std::uint64_t accepted = 0;
  std::uint64_t tooShort = 0;
  std::uint64_t tooLong = 0;
  std::uint64_t badMagic = 0;
  std::uint64_t badVersion = 0;
  std::uint64_t badMac = 0;
  std::uint64_t malformed = 0;
  std::uint64_t fromSelf = 0;
  std::uint64_t unknownPeer = 0;
  std::uint64_t wrongPath = 0;
  std::uint64_t oldBoot = 0;
  std::uint64_t replayed = 0;
  std::uint64_t tooOld = 0;

  std::uint64_t& dropped(DropReason reason) noexcept;
  std::uint64_t dropped(DropReason reason) const noexcept;
  std::uint64_t droppedTotal() const noexcept;

  friend bool operator==(const ReceiverCounters&, const ReceiverCounters&) = default;
};

struct ReceiverConfig {
  std::string selfNodeId;  // this node's [ha] node-id
  // The peer's node id. Empty: the first authenticated heartbeat from a node other than this one
  // names the peer for the receiver's lifetime, and any other node id is UnknownPeer after it.
  std::string peerNodeId;
  // The highest boot id of the peer an earlier run of this agent heard (persisted on NewBoot), so
  // that a restarted agent refuses the peer's older runs' heartbeats too. 0: none.
  std::uint64_t peerBootFloor = 0;
};

struct Verdict {
  std::optional<DropReason> drop;               // nullopt: accepted
  DecodeError decodeError = DecodeError::None;  // what was wrong, for the drops a decode found
  Heartbeat heartbeat;                          // the heartbeat, when accepted
  std::uint64_t order = 0;  // when accepted: HeartbeatReceived::seq (replay_window.hpp)
  bool newBoot = false;     // when accepted: the peer's first heartbeat of a boot (persist it)

  bool accepted() const noexcept { return !drop.has_value(); }
};

class Receiver {
 public:
  Receiver(ReceiverConfig config, const PairKey& key);

  bool ok() const noexcept { return authenticator_.ok(); }

  Verdict receive(std::span<const std::uint8_t> datagram, Path arrivedOn);

  const ReceiverCounters& counters() const noexcept { return counters_; }
  // The peer's node id (configured or learnt; empty before), and its current boot id.
  const std::string& peerNodeId() const noexcept { return peerNodeId_; }
  std::uint64_t peerBootId() const noexcept { return history_.boot(); }

 private:
  Verdict drop(DropReason reason, DecodeError error = DecodeError::None);

  ReceiverConfig config_;
  Authenticator authenticator_;
  std::string peerNodeId_;
  SenderHistory history_;
  ReceiverCounters counters_;
};

// What the role decision is told of an accepted heartbeat, received at `now`: the path it
// arrived on (which Receiver checked is the one it was sent on), the sender's state and the order
// of that state among the sender's.
inline HeartbeatReceived heartbeatEvent(const Verdict& accepted, TimePoint now) {
  return HeartbeatReceived{now, accepted.heartbeat.path, accepted.heartbeat.state, accepted.order};
}

}  // namespace sipha::agent::heartbeat
