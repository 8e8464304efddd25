#pragma once
// The daemon's notion of time: one monotonic millisecond timeline, injected everywhere so state
// machines never read the real clock and tests drive time explicitly.
#include <chrono>

namespace sipha::timer {

using Duration = std::chrono::milliseconds;
// On the CLOCK_MONOTONIC timeline (libstdc++'s steady_clock is CLOCK_MONOTONIC, as is sd-event's
// CLOCK_MONOTONIC time source), at millisecond resolution.
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const noexcept = 0;
};

// The real clock: CLOCK_MONOTONIC, rounded down to the millisecond.
class MonotonicClock final : public Clock {
 public:
  TimePoint now() const noexcept override {
    return std::chrono::floor<Duration>(std::chrono::steady_clock::now());
  }
};

// A clock that moves only when told; for tests and simulations.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) noexcept : now_(start) {}
  TimePoint now() const noexcept override { return now_; }
  void set(TimePoint now) noexcept { now_ = now; }
  void advance(Duration by) noexcept { now_ += by; }

 private:
  TimePoint now_;
};

}  // namespace sipha::timer
