#pragma once
// At most one log line per interval for an event a peer can repeat at will (a refused call, a
// blocked source): the first event is written at once, the ones within the interval after it are
// only counted and reported with the next line written (docs/error-policy.md: never a log line
// per packet; the counters count every event). No timer: the count rides on the next line.
#include <cstdint>

#include "timer/clock.hpp"

namespace sipha::core {

class LogThrottle {
 public:
  LogThrottle() noexcept = default;
  explicit LogThrottle(timer::Duration interval) noexcept : interval_(interval) {}

  // True when a line may be written at `now`; `suppressed` is then the number of events that
  // were not written since the previous line.
  bool admit(timer::TimePoint now, std::uint64_t& suppressed) noexcept {
    if (written_ && now - last_ < interval_) {
      ++suppressed_;
      return false;
    }
    written_ = true;
    last_ = now;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  timer::Duration interval_{10000};
  timer::TimePoint last_{};
  bool written_ = false;
  std::uint64_t suppressed_ = 0;
};

}  // namespace sipha::core
