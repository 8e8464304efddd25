#pragma once
// The driver's clocks: sd-event wants microseconds, the decision milliseconds (decision/time.hpp).
#include <time.h>

#include <cstdint>

#include "decision/time.hpp"

namespace sipha::agent::service {

inline std::uint64_t usec(Duration d) { return static_cast<std::uint64_t>(d.count()) * 1000; }

inline std::uint64_t clockUsec(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000 +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

inline std::uint64_t monotonicUsec() { return clockUsec(CLOCK_MONOTONIC); }
inline std::uint64_t wallUsec() { return clockUsec(CLOCK_REALTIME); }

}  // namespace sipha::agent::service
