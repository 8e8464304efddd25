#define BOOST_TEST_MODULE sd_event_driver
#include <boost/test/unit_test.hpp>

#include <systemd/sd-event.h>

#include <ctime>
#include <vector>

#include "timer/clock.hpp"
#include "timer/sd_event_driver.hpp"
#include "timer/timer_wheel.hpp"

using namespace sipha::timer;
using namespace std::chrono_literals;

namespace {

constexpr int kSafetyExit = 99;

// Fails the loop (exit code 99) if the wheel's timers do not end it within 5 s.
sd_event_source* addSafetyTimeout(sd_event* event) {
  std::uint64_t now = 0;
  sd_event_now(event, CLOCK_MONOTONIC, &now);
  sd_event_source* source = nullptr;
  sd_event_add_time(
      event, &source, CLOCK_MONOTONIC, now + 5'000'000, 0,
      [](sd_event_source* s, std::uint64_t, void*) {
        return sd_event_exit(sd_event_source_get_event(s), kSafetyExit);
      },
      nullptr);
  return source;
}

struct Loop {
  Loop() { BOOST_REQUIRE(sd_event_new(&event) >= 0); }
  ~Loop() { sd_event_unref(event); }
  sd_event* event = nullptr;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sd_event_driver)

// Real sd-event loop, real monotonic time: the driver wakes for each wheel deadline in order and
// timers scheduled from inside timer callbacks are armed.
BOOST_AUTO_TEST_CASE(fires_wheel_timers_in_order_from_the_loop) {
  Loop loop;
  MonotonicClock clock;
  TimerWheel wheel(clock);
  SdEventTimerDriver driver(loop.event, wheel);
  // Callbacks capture at most three pointers (no allocation): share state through a struct.
  struct State {
    TimerWheel& wheel;
    MonotonicClock& clock;
    sd_event* event;
    std::vector<int> order;
    TimePoint lastFired{};
  } state{wheel, clock, loop.event, {}, {}};
  State* s = &state;
  const TimePoint start = clock.now();
  wheel.schedule(3ms, [s] { s->order.push_back(2); });
  wheel.schedule(1ms, [s] {
    s->order.push_back(1);
    s->wheel.schedule(5ms, [s] {
      s->order.push_back(3);
      s->lastFired = s->clock.now();
      sd_event_exit(s->event, 0);
    });
  });
  BOOST_REQUIRE(driver.start() == 0);
  sd_event_source* safety = addSafetyTimeout(loop.event);
  BOOST_TEST(sd_event_loop(loop.event) == 0);
  sd_event_source_disable_unref(safety);
  BOOST_TEST(state.order == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST((state.lastFired - start >= 6ms));
  BOOST_TEST(driver.wakeups() >= 2u);
}

// A timer scheduled by some other event source (as a packet handler would) is picked up by the
// driver's post source without an explicit rearm().
BOOST_AUTO_TEST_CASE(timers_scheduled_by_other_sources_are_armed) {
  Loop loop;
  MonotonicClock clock;
  TimerWheel wheel(clock);
  SdEventTimerDriver driver(loop.event, wheel);
  BOOST_REQUIRE(driver.start() == 0);
  bool fired = false;
  struct Context {
    TimerWheel* wheel;
    bool* fired;
    sd_event* event;
  } context{&wheel, &fired, loop.event};
  sd_event_source* defer = nullptr;
  BOOST_REQUIRE(sd_event_add_defer(
                    loop.event, &defer,
                    [](sd_event_source* s, void* userdata) {
                      auto* ctx = static_cast<Context*>(userdata);
                      ctx->wheel->schedule(2ms, [ctx] {
                        *ctx->fired = true;
                        sd_event_exit(ctx->event, 0);
                      });
                      return sd_event_source_set_enabled(s, SD_EVENT_OFF);
                    },
                    &context) >= 0);
  sd_event_source* safety = addSafetyTimeout(loop.event);
  BOOST_TEST(sd_event_loop(loop.event) == 0);
  sd_event_source_disable_unref(safety);
  sd_event_source_disable_unref(defer);
  BOOST_TEST(fired);
}

BOOST_AUTO_TEST_SUITE_END()
