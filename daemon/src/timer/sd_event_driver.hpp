#pragma once
// Drives a TimerWheel from an sd-event loop with one CLOCK_MONOTONIC time source: when woken it
// calls wheel.advance(clock.now()) and re-arms to wheel.nextDeadline(). A post source re-arms after
// every loop iteration in which anything was dispatched, so timers scheduled while handling a
// packet are picked up without the caller doing anything. The wheel's clock must be on the
// CLOCK_MONOTONIC timeline (MonotonicClock).
#include <systemd/sd-event.h>

#include <cstdint>

#include "timer/timer_wheel.hpp"

namespace sipha::timer {

class SdEventTimerDriver {
 public:
  SdEventTimerDriver(sd_event* event, TimerWheel& wheel) noexcept;
  SdEventTimerDriver(const SdEventTimerDriver&) = delete;
  SdEventTimerDriver& operator=(const SdEventTimerDriver&) = delete;
  ~SdEventTimerDriver();

  // Adds the sources to the loop; returns 0 or a negative errno from sd-event.
  int start() noexcept;
  // Re-arms the time source to the wheel's next deadline now (the post source also does this).
  int rearm() noexcept;

  std::uint64_t wakeups() const noexcept { return wakeups_; }

 private:
  static int onTime(sd_event_source* source, std::uint64_t usec, void* userdata) noexcept;
  static int onPost(sd_event_source* source, void* userdata) noexcept;

  sd_event* event_;
  TimerWheel& wheel_;
  sd_event_source* timeSource_ = nullptr;
  sd_event_source* postSource_ = nullptr;
  std::uint64_t armedUsec_ = 0;
  bool armed_ = false;
  std::uint64_t wakeups_ = 0;
};

}  // namespace sipha::timer
