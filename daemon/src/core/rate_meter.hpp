#pragma once
// Events per second over a sliding window of whole seconds (D-Bus CallsPerSecond: new calls per
// second over the last 10 s, for the web UI). O(1) per event and no allocation: one counter per
// second in a fixed ring; a slot is reset when its second comes round again. No timer: the ring is
// brought up to date on each record() and read.
#include <array>
#include <cstddef>
#include <cstdint>

#include "timer/clock.hpp"

namespace sipha::core {

template <std::size_t Seconds>
class RateMeter {
  static_assert(Seconds > 0);

 public:
  void record(timer::TimePoint now) noexcept {
    advance(secondOf(now));
    ++counts_[static_cast<std::size_t>(current_ % kSlots)];
  }

  // Events per second over the `Seconds` whole seconds before the current one (the current second
  // is still filling; counting it would make the figure dip at the start of every second).
  double perSecond(timer::TimePoint now) noexcept {
    advance(secondOf(now));
    std::uint64_t total = 0;
    const auto filling = static_cast<std::size_t>(current_ % kSlots);
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (i != filling) total += counts_[i];
    }
    return static_cast<double>(total) / static_cast<double>(Seconds);
  }

 private:
  static std::int64_t secondOf(timer::TimePoint now) noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  }

  // Clears the slots of the seconds between the last event and `second` (at most all of them).
  void advance(std::int64_t second) noexcept {
    if (!started_) {
      started_ = true;
      current_ = second;
      return;
    }
    if (second <= current_) return;  // the monotonic clock does not go back; same second
    const std::int64_t gap = second - current_;
    const std::int64_t clear = gap < static_cast<std::int64_t>(kSlots) ? gap : kSlots;
    for (std::int64_t i = 1; i <= clear; ++i) {
      counts_[static_cast<std::size_t>((current_ + i) % kSlots)] = 0;
    }
    current_ = second;
  }

  static constexpr std::int64_t kSlots = Seconds + 1;  // the window plus the filling second
  std::array<std::uint64_t, Seconds + 1> counts_{};
  std::int64_t current_ = 0;
  bool started_ = false;
};

}  // namespace sipha::core
