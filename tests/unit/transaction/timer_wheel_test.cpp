#define BOOST_TEST_MODULE timer_wheel
#include <boost/test/unit_test.hpp>

#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fakes.hpp"
#include "timer/callback.hpp"
#include "timer/clock.hpp"
#include "timer/timer_wheel.hpp"

using namespace sipha::timer;
using sipha::testing::at;
using sipha::testing::millisOf;
using sipha::testing::runTo;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(timer_wheel)

BOOST_AUTO_TEST_CASE(fires_exactly_at_deadline_not_before) {
  ManualClock clock(at(1000));
  TimerWheel wheel(clock);
  int fired = 0;
  wheel.schedule(250ms, [&fired] { ++fired; });
  BOOST_TEST(wheel.advance(at(1249)) == 0u);
  BOOST_TEST(fired == 0);
  BOOST_TEST(wheel.advance(at(1250)) == 1u);
  BOOST_TEST(fired == 1);
  BOOST_TEST(wheel.empty());
  BOOST_TEST(!wheel.nextDeadline().has_value());
}

BOOST_AUTO_TEST_CASE(next_deadline_never_later_than_the_earliest_timer) {
  const std::int64_t delays[] = {0,        1,          63,         64,         65,        4095,
                                 4096,     4097,       32000,      262143,     262144,    16777215,
                                 16777216, 1073741823, 1073741824, 1073741825, 5000000000};
  for (std::int64_t delay : delays) {
    ManualClock clock(at(777));
    TimerWheel wheel(clock);
    std::int64_t firedAt = -1;
    wheel.schedule(Duration(delay), [&] { firedAt = millisOf(clock.now()); });
    auto next = wheel.nextDeadline();
    BOOST_REQUIRE(next.has_value());
    BOOST_TEST(millisOf(*next) <= 777 + delay);
    if (delay > 0) {
      runTo(clock, wheel, at(777 + delay - 1));
      BOOST_TEST(firedAt == -1, "delay " << delay << " fired early");
    }
    runTo(clock, wheel, at(777 + delay + 5));
    BOOST_TEST(firedAt == 777 + delay, "delay " << delay);
  }
}

BOOST_AUTO_TEST_CASE(near_deadline_is_exact) {
  ManualClock clock(at(0));
  TimerWheel wheel(clock);
  wheel.schedule(40ms, [] {});
  wheel.schedule(10ms, [] {});
  BOOST_TEST(millisOf(*wheel.nextDeadline()) == 10);
}

BOOST_AUTO_TEST_CASE(cancel_prevents_firing_and_is_idempotent) {
  ManualClock clock;
  TimerWheel wheel(clock);
  int fired = 0;
  TimerHandle handle = wheel.schedule(100ms, [&fired] { ++fired; });
  TimerHandle copy = handle;
  BOOST_TEST(wheel.pending(handle));
  BOOST_TEST(wheel.cancel(handle));
  BOOST_TEST(!handle.valid());
  BOOST_TEST(!wheel.cancel(copy));
  BOOST_TEST(!wheel.cancel(handle));
  runTo(clock, wheel, at(1000));
  BOOST_TEST(fired == 0);
  BOOST_TEST(wheel.empty());
}

BOOST_AUTO_TEST_CASE(stale_handle_does_not_cancel_reused_node) {
  ManualClock clock;
  TimerWheel wheel(clock);
  TimerHandle first = wheel.schedule(10ms, [] {});
  TimerHandle stale = first;
  runTo(clock, wheel, at(10));
  int fired = 0;
  TimerHandle second = wheel.schedule(10ms, [&fired] { ++fired; });
  BOOST_TEST(second.index == stale.index);  // the node was recycled
  BOOST_TEST(!wheel.cancel(stale));
  BOOST_TEST(wheel.pending(second));
  runTo(clock, wheel, at(20));
  BOOST_TEST(fired == 1);
}

BOOST_AUTO_TEST_CASE(fires_in_deadline_order_in_one_large_advance) {
  ManualClock clock;
  TimerWheel wheel(clock);
  std::vector<int> order;
  for (int i : {9, 3, 7, 1, 5})
    wheel.schedule(Duration(i * 1000), [&order, i] { order.push_back(i); });
  BOOST_TEST(wheel.advance(at(60000)) == 5u);
  BOOST_TEST(order == (std::vector<int>{1, 3, 5, 7, 9}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(callbacks_may_schedule_timers_due_in_the_same_advance) {
  ManualClock clock;
  TimerWheel wheel(clock);
  std::vector<std::pair<std::string, std::int64_t>> log;
  auto record = [&log, &clock](const char* what) { log.emplace_back(what, millisOf(clock.now())); };
  wheel.schedule(100ms, [&] {
    record("first");
    wheel.schedule(0ms, [&record] { record("immediate"); });
    wheel.schedule(50ms, [&record] { record("later"); });
    BOOST_TEST(wheel.advance(at(100000)) == 0u);  // a nested advance is ignored
  });
  clock.set(at(100));
  BOOST_TEST(wheel.advance() == 2u);  // "first" and the zero-delay timer it scheduled
  runTo(clock, wheel, at(200));
  using Log = std::vector<std::pair<std::string, std::int64_t>>;
  BOOST_TEST((log == Log{{"first", 100}, {"immediate", 100}, {"later", 150}}));
}

BOOST_AUTO_TEST_CASE(callback_cancels_a_later_timer_of_the_same_millisecond) {
  ManualClock clock;
  TimerWheel wheel(clock);
  int victimFired = 0;
  TimerHandle victim;
  wheel.schedule(100ms, [&] { BOOST_TEST(wheel.cancel(victim)); });
  victim = wheel.schedule(100ms, [&victimFired] { ++victimFired; });  // FIFO: after the first
  runTo(clock, wheel, at(100));
  BOOST_TEST(victimFired == 0);
  BOOST_TEST(wheel.empty());
}

BOOST_AUTO_TEST_CASE(captured_state_is_destroyed_on_cancel_and_after_firing) {
  ManualClock clock;
  TimerWheel wheel(clock);
  auto state = std::make_shared<int>(0);
  TimerHandle handle = wheel.schedule(10ms, [state] { ++*state; });
  wheel.schedule(20ms, [state] { ++*state; });
  BOOST_TEST(state.use_count() == 3);
  wheel.cancel(handle);
  BOOST_TEST(state.use_count() == 2);
  runTo(clock, wheel, at(20));
  BOOST_TEST(*state == 1);
  BOOST_TEST(state.use_count() == 1);
}

BOOST_AUTO_TEST_CASE(pool_is_reused_without_growth) {
  ManualClock clock;
  TimerWheel wheel(clock, 0);
  std::vector<TimerHandle> handles(10);
  for (int round = 0; round < 1000; ++round) {
    for (auto& handle : handles) handle = wheel.schedule(Duration(1 + round % 97), [] {});
    for (auto& handle : handles) wheel.cancel(handle);
  }
  BOOST_TEST(wheel.poolSize() == 10u);
  BOOST_TEST(wheel.empty());
}

// Many timers with random deadlines across every level, half cancelled at random moments: each
// survivor fires exactly once, at its deadline, in order; no cancelled timer fires.
BOOST_AUTO_TEST_CASE(randomized_against_reference_model) {
  std::mt19937_64 random(12345);
  ManualClock clock(at(5));
  TimerWheel wheel(clock);
  struct Entry {
    std::int64_t deadline;
    TimerHandle handle;
    int fired = 0;
    std::int64_t firedAt = -1;
    bool cancelled = false;
  };
  struct Context {
    ManualClock& clock;
    std::vector<Entry> entries = std::vector<Entry>(20000);
    std::int64_t lastFire = 0;
    bool ordered = true;
  } context{clock};
  std::vector<Entry>& entries = context.entries;
  std::uniform_int_distribution<int> scale(0, 4);
  auto scheduleOne = [&](std::size_t i) {
    const std::int64_t ranges[] = {64, 4096, 262144, 20000000, 3000000000};
    std::uniform_int_distribution<std::int64_t> delay(0, ranges[scale(random)]);
    entries[i].deadline = millisOf(clock.now()) + delay(random);
    Context* ctx = &context;
    entries[i].handle =
        wheel.schedule(Duration(entries[i].deadline - millisOf(clock.now())), [ctx, i] {
          Entry& entry = ctx->entries[i];
          ++entry.fired;
          entry.firedAt = millisOf(ctx->clock.now());
          if (entry.firedAt < ctx->lastFire) ctx->ordered = false;
          ctx->lastFire = entry.firedAt;
        });
  };
  for (std::size_t i = 0; i < entries.size() / 2; ++i) scheduleOne(i);
  std::uniform_int_distribution<std::size_t> pick(0, entries.size() / 2 - 1);
  std::uniform_int_distribution<std::int64_t> step(0, 70000);
  for (std::size_t i = entries.size() / 2; i < entries.size(); ++i) {
    if (i % 100 == 0) runTo(clock, wheel, clock.now() + Duration(step(random)));
    scheduleOne(i);
    Entry& victim = entries[pick(random)];
    if (wheel.pending(victim.handle)) {
      BOOST_REQUIRE(wheel.cancel(victim.handle));
      victim.cancelled = true;
    }
  }
  runTo(clock, wheel, clock.now() + Duration(4000000000));
  BOOST_TEST(context.ordered);
  BOOST_TEST(wheel.empty());
  std::size_t cancelled = 0;
  for (const Entry& entry : entries) {
    if (entry.cancelled) {
      ++cancelled;
      BOOST_REQUIRE(entry.fired == 0);
    } else {
      BOOST_REQUIRE(entry.fired == 1);
      BOOST_REQUIRE(entry.firedAt == entry.deadline);
    }
  }
  BOOST_TEST(cancelled > 1000u);
}

BOOST_AUTO_TEST_CASE(coarse_advances_fire_everything_due) {
  std::mt19937 random(7);
  ManualClock clock;
  TimerWheel wheel(clock);
  std::multiset<std::int64_t> due;
  std::size_t fired = 0;
  std::uniform_int_distribution<std::int64_t> delay(0, 600000);
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t d = delay(random);
    due.insert(d);
    wheel.schedule(Duration(d), [&fired] { ++fired; });
  }
  for (std::int64_t now = 0; now <= 700000; now += 12345) {
    clock.set(at(now));
    wheel.advance();
    BOOST_REQUIRE(fired ==
                  static_cast<std::size_t>(std::distance(due.begin(), due.upper_bound(now))));
  }
}

BOOST_AUTO_TEST_CASE(time_never_goes_backwards) {
  ManualClock clock(at(1000));
  TimerWheel wheel(clock);
  int fired = 0;
  wheel.advance(at(2000));
  clock.set(at(500));  // a misbehaving clock: deadlines are clamped to the wheel's time
  wheel.schedule(10ms, [&fired] { ++fired; });
  BOOST_TEST(millisOf(*wheel.nextDeadline()) == 2000);
  BOOST_TEST(wheel.advance(at(1500)) == 1u);  // an earlier `now` counts as the wheel's time
  BOOST_TEST(fired == 1);
}

BOOST_AUTO_TEST_SUITE_END()
