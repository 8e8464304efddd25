#pragma once
// Time as the role decision sees it (docs/ha-agent.md): a monotonic instant handed in with every
// event — the agent's driver reads CLOCK_MONOTONIC, the tests count — never read from a clock
// here, so a test can drive the pair through any timing it likes.
#include <chrono>

namespace sipha::agent {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

// "Never happened": older than anything, so every elapsed() test on it is true.
inline constexpr TimePoint kNever = TimePoint::min();

// At least `interval` has passed since `since` (always true for kNever).
constexpr bool elapsed(TimePoint since, TimePoint now, Duration interval) noexcept {
  return since == kNever || now - since >= interval;
}

}  // namespace sipha::agent
