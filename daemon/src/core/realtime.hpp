#pragma once
// A monotonic instant (the TimerWheel's timeline) as CLOCK_REALTIME microseconds, given both
// clocks' "now": for D-Bus since-when values and replicated trunk states.
#include <chrono>
#include <cstdint>

#include "timer/clock.hpp"

namespace sipha::core {

inline std::uint64_t realtimeUsecOf(timer::TimePoint at, timer::TimePoint now,
                                    std::uint64_t nowRealtimeUsec) {
  const auto ageUsec = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now - at).count());
  return nowRealtimeUsec > ageUsec ? nowRealtimeUsec - ageUsec : 0;
}

}  // namespace sipha::core
