// `siphactl watch`'s Watcher against the stand-in agent: one line per visible change, the agent
// leaving and coming back, the bus going away.
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "event_loop.hpp"
#include "fake_agent.hpp"
#include "private_bus.hpp"
#include "siphactl/watch.hpp"
#include "test_support.hpp"

namespace sipha::siphactl::test {
namespace {

std::uint64_t fixedClock() { return 1'795'701'900'000'000; }  // 2026-11-26T14:05:00.000Z

struct WatchFixture {
  WatchFixture() {
    BOOST_TEST_REQUIRE(agent.startResult() >= 0);
    BOOST_TEST_REQUIRE(!client.connect().has_value());
    BOOST_TEST_REQUIRE(event != nullptr);
    const auto error = watcher.start(event.get());
    BOOST_TEST_REQUIRE(!error.has_value());
  }

  // Runs the loop until `line` was printed (the whole text printed so far is checked).
  bool printed(const std::string& line) {
    return control::test::runUntil(
        event.get(), [&] { return out.str().find(line + "\n") != std::string::npos; });
  }

  ScopedTimeZone zone{"UTC0"};
  control::test::PrivateBus privateBus;
  FakeAgentThread agent;
  FakeControl control;
  control::test::EventPtr event = control::test::newEvent();
  AgentClient client;
  std::ostringstream out;
  Watcher watcher{client, out, fixedClock};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(watch)

BOOST_FIXTURE_TEST_CASE(starts_with_where_things_stand, WatchFixture) {
  BOOST_TEST(out.str() ==
             "2026-11-26T14:05:00.000+00:00  watching sipha-a: primary, phase primary, epoch 7, "
             "sipd alive; peer sipha-b backup, epoch 7\n");
}

BOOST_FIXTURE_TEST_CASE(one_line_per_change, WatchFixture) {
  control.set("Phase", std::string{"draining"});
  BOOST_TEST(printed("2026-11-26T14:05:00.000+00:00  this node: phase primary -> draining"));
  control.set("PeerReady", false);
  BOOST_TEST(printed("2026-11-26T14:05:00.000+00:00  peer: ready for switchover yes -> no"));
  control.set("PeerPaths",
              std::vector<HeartbeatPath>{{"ha-link", false, 140}, {"service", true, 9}});
  BOOST_TEST(
      printed("2026-11-26T14:05:00.000+00:00  peer: heartbeat path ha-link alive -> dead, last 140 "
              "ms ago"));
  BOOST_TEST(watcher.known().phase == "draining");
  BOOST_TEST(!watcher.known().peerReady);
}

BOOST_FIXTURE_TEST_CASE(the_same_value_again_prints_nothing, WatchFixture) {
  control.set("Phase", std::string{"primary"});  // unchanged
  control.set("Counters", Counters{{"x", 1}});   // no signal
  control.set("Epoch", std::uint64_t{8});        // the marker
  BOOST_TEST(printed("2026-11-26T14:05:00.000+00:00  this node: epoch 7 -> 8"));
  BOOST_TEST(out.str().find("this node: phase") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(transitions_either_as_a_struct_or_as_arguments, WatchFixture) {
  control.addTransition({1'795'701'905'250'000, "primary", "draining", "primary", 7,
                         "switchover-requested", false, "operator"},
                        true);
  BOOST_TEST(
      printed("2026-11-26T14:05:05.250+00:00  transition primary -> draining  "
              "switchover-requested  (primary, epoch 7): operator"));
  control.addTransition({1'795'701'905'300'000, "draining", "handing-over", "backup", 7,
                         "handover-complete", false, ""},
                        false);
  BOOST_TEST(
      printed("2026-11-26T14:05:05.300+00:00  transition draining -> handing-over  "
              "handover-complete  (backup, epoch 7)"));
  BOOST_TEST(watcher.known().lastTransition.to == "handing-over");
  // LastTransition's own PropertiesChanged adds no line of its own.
  control.set("Epoch", std::uint64_t{8});
  BOOST_TEST(printed("2026-11-26T14:05:00.000+00:00  this node: epoch 7 -> 8"));
  BOOST_TEST(out.str().find("last transition") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(an_invalidated_property_is_read, WatchFixture) {
  control.set("WitnessReachable", false);
  BOOST_TEST(printed("2026-11-26T14:05:00.000+00:00  this node: witness reachable -> unreachable"));
  control.invalidate("Role");  // the value did not change: nothing
  control.invalidate("PeerNodeId");
  control.set("Epoch", std::uint64_t{8});
  BOOST_TEST(printed("2026-11-26T14:05:00.000+00:00  this node: epoch 7 -> 8"));
  BOOST_TEST(out.str().find("this node: role") == std::string::npos);
  BOOST_TEST(out.str().find("peer: node id") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(the_agent_leaves_and_comes_back, WatchFixture) {
  control.vanish();
  BOOST_TEST(printed("2026-11-26T14:05:00.000+00:00  sipha-agent left the bus"));
  control.set("Epoch", std::uint64_t{9});  // while away: seen in the summary on return
  control.comeBack();
  BOOST_TEST(
      printed("2026-11-26T14:05:00.000+00:00  sipha-agent is on the bus again: sipha-a: "
              "primary, phase primary, epoch 9, sipd alive; peer sipha-b backup, epoch 7"));
  control.set("Epoch", std::uint64_t{10});
  BOOST_TEST(printed("2026-11-26T14:05:00.000+00:00  this node: epoch 9 -> 10"));
}

BOOST_FIXTURE_TEST_CASE(a_lost_bus_ends_the_watch_with_2, WatchFixture) {
  privateBus.stop();
  int code = -1;
  BOOST_TEST(control::test::runUntil(event.get(), [&] {
    if (sd_event_get_state(event.get()) == SD_EVENT_FINISHED) {
      sd_event_get_exit_code(event.get(), &code);
      return true;
    }
    return false;
  }));
  BOOST_TEST(code == 2);
  BOOST_TEST(out.str().find("the bus connection was lost\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::siphactl::test
