#include "timer/sd_event_driver.hpp"

#include <ctime>

namespace sipha::timer {
namespace {

// Transaction timers are in milliseconds (T1 = 500 ms); sd-event's default accuracy of 250 ms
// would distort them, so ask for 1 ms.
constexpr std::uint64_t kAccuracyUsec = 1000;

}  // namespace

SdEventTimerDriver::SdEventTimerDriver(sd_event* event, TimerWheel& wheel) noexcept
    : event_(sd_event_ref(event)), wheel_(wheel) {}

SdEventTimerDriver::~SdEventTimerDriver() {
  sd_event_source_disable_unref(postSource_);
  sd_event_source_disable_unref(timeSource_);
  sd_event_unref(event_);
}

int SdEventTimerDriver::start() noexcept {
  if (timeSource_ != nullptr) return 0;
  int result = sd_event_add_time(event_, &timeSource_, CLOCK_MONOTONIC, 0, kAccuracyUsec,
                                 &SdEventTimerDriver::onTime, this);
  if (result < 0) return result;
  result = sd_event_source_set_enabled(timeSource_, SD_EVENT_OFF);
  if (result < 0) return result;
  result = sd_event_add_post(event_, &postSource_, &SdEventTimerDriver::onPost, this);
  if (result < 0) return result;
  return rearm();
}

int SdEventTimerDriver::rearm() noexcept {
  if (timeSource_ == nullptr) return 0;
  const auto next = wheel_.nextDeadline();
  if (!next) {
    armed_ = false;
    return sd_event_source_set_enabled(timeSource_, SD_EVENT_OFF);
  }
  const auto millis = next->time_since_epoch().count();
  const std::uint64_t usec = millis <= 0 ? 1 : static_cast<std::uint64_t>(millis) * 1000;
  if (armed_ && usec == armedUsec_) return 0;
  int result = sd_event_source_set_time(timeSource_, usec);
  if (result < 0) return result;
  result = sd_event_source_set_enabled(timeSource_, SD_EVENT_ONESHOT);
  if (result < 0) return result;
  armed_ = true;
  armedUsec_ = usec;
  return 0;
}

int SdEventTimerDriver::onTime(sd_event_source*, std::uint64_t, void* userdata) noexcept {
  auto* self = static_cast<SdEventTimerDriver*>(userdata);
  self->armed_ = false;  // a ONESHOT source disables itself when dispatched
  ++self->wakeups_;
  self->wheel_.advance();
  return self->rearm();
}

int SdEventTimerDriver::onPost(sd_event_source*, void* userdata) noexcept {
  return static_cast<SdEventTimerDriver*>(userdata)->rearm();
}

}  // namespace sipha::timer
