#pragma once
// Replay protection for authenticated heartbeats (docs/heartbeat.md, "Replay"). Pure: no clock,
// no I/O; the receiver feeds it the boot id and sequence number of each heartbeat whose tag
// verified, and only those (an unauthenticated message must not move a window).
//
// ReplayWindow is the sliding window of RFC 4303 3.4.3 kept as the bitmap ring of RFC 6479: each
// sequence number within kSize of the highest one accepted is accepted once; older ones and
// duplicates are refused. SenderHistory puts one window under the sender's boot id: a higher boot
// id (the sender's agent restarted) starts a new window, a lower one is refused, so a heartbeat
// recorded during an earlier run of the sender cannot be played back once a later one was heard.
#include <array>
#include <cstddef>
#include <cstdint>

namespace sipha::agent::heartbeat {

class ReplayWindow {
 public:
  // Sequence numbers accepted behind the highest one: both paths share the counter, so this is
  // 5 s of heartbeats at a 10 ms interval (10 s at the default 20 ms); a path that lags the other
  // by less than that loses nothing.
  static constexpr std::uint64_t kSize = 1024;

  enum class Verdict : std::uint8_t { Fresh, Duplicate, TooOld };

  // Fresh (and remembered) when `sequence` was not accepted before and is not kSize or more
  // behind the highest one accepted. `sequence` is at least 1.
  Verdict admit(std::uint64_t sequence) noexcept;

  std::uint64_t highest() const noexcept { return highest_; }  // 0 before the first

 private:
  static constexpr std::size_t kBlockBits = 64;
  // One block more than the window needs: sliding forward clears whole blocks (RFC 6479).
  static constexpr std::size_t kBlocks = kSize / kBlockBits + 1;

  std::uint64_t highest_ = 0;
  std::array<std::uint64_t, kBlocks> blocks_{};
};

enum class Admission : std::uint8_t {
  Fresh,      // the current boot, a sequence number not seen
  NewBoot,    // a boot id higher than any seen: the sender restarted (a new window)
  OldBoot,    // a boot id lower than the current one
  Duplicate,  // the current boot, a sequence number already accepted
  TooOld,     // the current boot, behind the window
};

class SenderHistory {
 public:
  // `bootFloor`: the highest boot id of this sender known from an earlier run of this agent
  // (persisted by the agent); heartbeats of lower boots are refused from the start.
  explicit SenderHistory(std::uint64_t bootFloor = 0) noexcept : boot_(bootFloor) {}

  // Fresh and NewBoot accept the heartbeat and set `order`: a number that grows with the
  // sender's sequence numbers and across its boots (a new boot's heartbeats order after all of
  // the previous one's). This is HeartbeatReceived::seq for the role decision, which applies a
  // state only over an older one. `order` is left alone otherwise.
  Admission admit(std::uint64_t bootId, std::uint64_t sequence, std::uint64_t& order) noexcept;

  std::uint64_t boot() const noexcept { return boot_; }
  std::uint64_t highestOrder() const noexcept { return highestOrder_; }

 private:
  std::uint64_t boot_;
  ReplayWindow window_;
  std::uint64_t orderBase_ = 0;     // order = orderBase_ + sequence within the current boot
  std::uint64_t highestOrder_ = 0;  // the highest order handed out
};

}  // namespace sipha::agent::heartbeat
