// The call's timer actions run on the daemon's real TimerWheel with a ManualClock, the way the
// integrator wires them: 13.3.1.4 retransmission instants and the 64*T1 give-up, end to end.
#include <array>

#include "b2bua/call.hpp"
#include "helpers.hpp"
#include "timer/clock.hpp"
#include "timer/timer_wheel.hpp"

namespace sipha::b2bua::test {
namespace {

// What core/ will do with an Output: timers onto the wheel, everything else recorded with the
// time it was emitted.
class WheelHarness {
 public:
  explicit WheelHarness(Call& call) : call_(call) {}

  void execute(Output& out) {
    for (Action& a : out.actions) {
      timer::TimerHandle& handle =
          handles_[static_cast<std::size_t>(a.timer.kind)][legIndex(a.leg)];
      if (a.kind == ActionKind::StartTimer) {
        wheel.cancel(handle);
        TimerId id = a.timer;
        handle = wheel.schedule(a.delay, [this, id] { fire(id); });
      } else if (a.kind == ActionKind::CancelTimer) {
        wheel.cancel(handle);
      } else {
        log.push_back({clock.now().time_since_epoch().count(), std::move(a)});
      }
    }
    out.clear();
  }

  void runUntil(std::int64_t ms) {
    while (clock.now().time_since_epoch().count() < ms) {
      clock.advance(timer::Duration{1});
      wheel.advance();
    }
  }

  struct Entry {
    std::int64_t at;
    Action action;
  };
  timer::ManualClock clock;
  timer::TimerWheel wheel{clock};
  std::vector<Entry> log;

 private:
  void fire(TimerId id) {
    Output out;
    call_.onTimer(id, out);
    execute(out);
  }

  Call& call_;
  std::array<std::array<timer::TimerHandle, 2>, 4> handles_{};
};

BOOST_AUTO_TEST_SUITE(call_on_the_wheel)

BOOST_FIXTURE_TEST_CASE(two_xx_retransmission_instants, CallFixture) {
  WheelHarness harness(call);
  Action invite = startCall();
  harness.execute(out);
  call.onResponse(LegId::Outbound, *answer(invite, ok200()), out);
  harness.execute(out);
  harness.log.clear();
  harness.runUntil(40000);
  std::vector<std::int64_t> resends;
  std::int64_t byeAt = -1;
  for (const auto& e : harness.log) {
    if (e.action.kind == ActionKind::SendResponse && e.action.status == 200)
      resends.push_back(e.at);
    if (e.action.kind == ActionKind::SendRequest && e.action.method == sip::Method::Bye &&
        byeAt < 0) {
      byeAt = e.at;
    }
  }
  // T1, then doubling to T2 (4 s), until 64*T1 = 32 s (13.3.1.4).
  const std::vector<std::int64_t> expected = {500,   1500,  3500,  7500,  11500,
                                              15500, 19500, 23500, 27500, 31500};
  BOOST_TEST(resends == expected, boost::test_tools::per_element());
  BOOST_TEST(byeAt == 32000);
  BOOST_TEST(call.state() == CallState::Terminating);
  BOOST_TEST(harness.wheel.empty());
}

BOOST_FIXTURE_TEST_CASE(ack_stops_the_retransmissions, CallFixture) {
  WheelHarness harness(call);
  Action invite = startCall();
  harness.execute(out);
  call.onResponse(LegId::Outbound, *answer(invite, ok200()), out);
  harness.execute(out);
  harness.runUntil(2000);
  call.onRequest(LegId::Inbound,
                 parseWire(callerRequest(call, "ACK", 10, {}, {}, "z9hG4bKcallerack")), 0, out);
  harness.execute(out);
  BOOST_TEST(harness.wheel.empty());
  harness.log.clear();
  harness.runUntil(40000);
  BOOST_TEST(harness.log.empty());
  BOOST_TEST(call.state() == CallState::Confirmed);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
