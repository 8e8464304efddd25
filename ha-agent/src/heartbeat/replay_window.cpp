#include "heartbeat/replay_window.hpp"

#include <algorithm>
#include <limits>

namespace sipha::agent::heartbeat {

ReplayWindow::Verdict ReplayWindow::admit(std::uint64_t sequence) noexcept {
  const std::uint64_t block = sequence / kBlockBits;
  if (sequence > highest_) {
    // Slide: clear the blocks between the highest one's and this one's (at most all of them).
    const std::uint64_t current = highest_ / kBlockBits;
    const std::uint64_t steps = std::min<std::uint64_t>(block - current, kBlocks);
    for (std::uint64_t i = 1; i <= steps; ++i) blocks_[(current + i) % kBlocks] = 0;
    highest_ = sequence;
  } else if (highest_ - sequence >= kSize) {
    return Verdict::TooOld;
  }
  std::uint64_t& bits = blocks_[block % kBlocks];
  const std::uint64_t mask = std::uint64_t{1} << (sequence % kBlockBits);
  if ((bits & mask) != 0) return Verdict::Duplicate;
  bits |= mask;
  return Verdict::Fresh;
}

Admission SenderHistory::admit(std::uint64_t bootId, std::uint64_t sequence,
                               std::uint64_t& order) noexcept {
  if (bootId < boot_) return Admission::OldBoot;
  Admission admission = Admission::Fresh;
  if (bootId > boot_) {
    boot_ = bootId;
    window_ = ReplayWindow{};
    orderBase_ = highestOrder_;
    admission = Admission::NewBoot;
  }
  switch (window_.admit(sequence)) {
    case ReplayWindow::Verdict::Fresh:
      break;
    case ReplayWindow::Verdict::Duplicate:
      return Admission::Duplicate;
    case ReplayWindow::Verdict::TooOld:
      return Admission::TooOld;
  }
  // Saturates rather than wraps: reaching it takes 2^16 boots that each used 2^48 sequence
  // numbers, within one run of this agent.
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  order = sequence > kMax - orderBase_ ? kMax : orderBase_ + sequence;
  highestOrder_ = std::max(highestOrder_, order);
  return admission;
}

}  // namespace sipha::agent::heartbeat
