// The formatting as pure functions: status table, JSON, history, watch lines, switchover outcomes.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>

#include "fake_agent.hpp"
#include "siphactl/format.hpp"
#include "test_support.hpp"

namespace sipha::siphactl::test {
namespace {

Poco::JSON::Object::Ptr parseObject(const std::string& text) {
  return Poco::JSON::Parser{}.parse(text).extract<Poco::JSON::Object::Ptr>();
}

bool contains(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(format)

BOOST_AUTO_TEST_CASE(timestamps_are_local_iso_with_milliseconds_and_offset) {
  const std::uint64_t at = 1'795'701'787'123'456;  // 2026-11-26 14:03:07.123456 UTC
  {
    ScopedTimeZone zone{"UTC0"};
    BOOST_TEST(formatTimestamp(at) == "2026-11-26T14:03:07.123+00:00");
  }
  {
    ScopedTimeZone zone{"CET-1"};
    BOOST_TEST(formatTimestamp(at) == "2026-11-26T15:03:07.123+01:00");
  }
  {
    ScopedTimeZone zone{"NST3:30"};
    BOOST_TEST(formatTimestamp(at) == "2026-11-26T10:33:07.123-03:30");
  }
}

BOOST_AUTO_TEST_CASE(ages_read_at_a_glance) {
  BOOST_TEST(formatAge(0) == "0 ms");
  BOOST_TEST(formatAge(999) == "999 ms");
  BOOST_TEST(formatAge(1'532) == "1.5 s");
  BOOST_TEST(formatAge(9'999) == "9.9 s");
  BOOST_TEST(formatAge(42'000) == "42 s");
  BOOST_TEST(formatAge(200'000) == "3 min 20 s");
  BOOST_TEST(formatAge(7'500'000) == "2 h 5 min");
  BOOST_TEST(formatAge(kNever) == "never");
}

BOOST_AUTO_TEST_CASE(a_healthy_pair_has_nothing_to_look_at) {
  BOOST_TEST(assessStatus(healthyPrimary()).empty());
  AgentStatus backup = healthyPrimary();
  backup.role = backup.phase = "backup";
  backup.peerRole = "primary";
  BOOST_TEST(assessStatus(backup).empty());
}

BOOST_AUTO_TEST_CASE(each_problem_is_named) {
  const auto problemsOf = [](auto change) {
    AgentStatus status = healthyPrimary();
    change(status);
    return assessStatus(status);
  };
  BOOST_TEST(problemsOf([](AgentStatus& s) { s.localSipd = "hung"; }) ==
                 std::vector<std::string>{"sipd on this node is hung"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) { s.phase = "draining"; }) ==
                 std::vector<std::string>{"this node is in transition (phase draining)"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) { s.witnessReachable = false; }) ==
                 std::vector<std::string>{"this node does not reach the witness 192.0.2.1"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) { s.peerPaths[1].alive = false; }) ==
                 std::vector<std::string>{"heartbeat path service is dead"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) {
               s.peerPaths[0].alive = s.peerPaths[1].alive = false;
             }) == std::vector<std::string>{"the peer is silent on every heartbeat path"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) { s.peerFailing = true; }) ==
                 std::vector<std::string>{"the peer's sipd is failing"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) { s.peerWitnessReachable = false; }) ==
                 std::vector<std::string>{"the peer does not reach the witness"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) { s.peerRole = "primary"; }) ==
                 std::vector<std::string>{"both nodes are primary"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) { s.peerReady = false; }) ==
                 std::vector<std::string>{"the backup (peer) is not ready for switchover"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) {
               s.role = s.phase = "backup";
               s.peerRole = "primary";
               s.readyForSwitchover = false;
             }) == std::vector<std::string>{"the backup (this node) is not ready for switchover"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) { s.role = s.phase = "backup"; }) ==
                 std::vector<std::string>{"neither node is primary"},
             boost::test_tools::per_element());
  BOOST_TEST(problemsOf([](AgentStatus& s) {
               s.phase = "starting";
               s.role = "backup";
               s.peerNodeId.clear();
               s.peerPaths = {{"ha-link", false, kNever}, {"service", false, kNever}};
             }) == (std::vector<std::string>{"this node is in transition (phase starting)",
                                             "the peer was never heard"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(status_is_an_aligned_table) {
  ScopedTimeZone zone{"UTC0"};
  const std::string expected =
      "pair: ok\n"
      "                      this node  peer\n"
      "node id               sipha-a    sipha-b\n"
      "role                  primary    backup\n"
      "phase                 primary\n"
      "epoch                 7          7\n"
      "sipd                  alive      ok\n"
      "ready for switchover  -          yes\n"
      "witness 192.0.2.1     reachable  reachable\n"
      "heartbeats ha-link               alive, last 12 ms ago\n"
      "heartbeats service               alive, last 8 ms ago\n"
      "last transition       2026-11-26T14:03:07.123+00:00  promoting -> primary  peer-silent  "
      "(primary, epoch 7): peer silent on both paths\n";
  BOOST_TEST(formatStatus(healthyPrimary()) == expected);
}

BOOST_AUTO_TEST_CASE(status_of_a_lone_starting_node) {
  ScopedTimeZone zone{"UTC0"};
  AgentStatus status;
  status.nodeId = "sipha-a";
  status.role = "backup";
  status.phase = "starting";
  status.epoch = 3;
  status.localSipd = "alive";
  status.witness = "192.0.2.1";
  status.witnessReachable = true;
  status.peerPaths = {{"ha-link", false, kNever}, {"service", false, kNever}};
  const std::string expected =
      "pair: attention: this node is in transition (phase starting); the peer was never heard\n"
      "                      this node  peer\n"
      "node id               sipha-a    (never heard)\n"
      "role                  backup     -\n"
      "phase                 starting\n"
      "epoch                 3          -\n"
      "sipd                  alive      -\n"
      "ready for switchover  no         -\n"
      "witness 192.0.2.1     reachable  -\n"
      "heartbeats ha-link               dead, never heard\n"
      "heartbeats service               dead, never heard\n"
      "last transition       none yet\n";
  BOOST_TEST(formatStatus(status) == expected);
}

BOOST_AUTO_TEST_CASE(a_silent_peer_is_shown_as_last_heard) {
  AgentStatus status = healthyPrimary();
  status.peerPaths = {{"ha-link", false, 1'532}, {"service", false, 1'540}};
  const std::string text = formatStatus(status);
  BOOST_TEST(text.find("peer (silent: as last heard)") != std::string::npos);
  BOOST_TEST(text.find("heartbeats ha-link               dead, last 1.5 s ago") !=
             std::string::npos);
  BOOST_TEST(text.rfind("pair: attention: the peer is silent on every heartbeat path\n", 0) == 0);
}

BOOST_AUTO_TEST_CASE(status_json_for_scripts) {
  ScopedTimeZone zone{"UTC0"};
  AgentStatus status = healthyPrimary();
  status.peerPaths[1] = {"service", false, kNever};
  const auto root = parseObject(statusJson(status));
  BOOST_TEST(root->getValue<bool>("ok") == false);
  const auto node = root->getObject("node");
  BOOST_TEST(node->getValue<std::string>("id") == "sipha-a");
  BOOST_TEST(node->getValue<std::string>("role") == "primary");
  BOOST_TEST(node->getValue<std::string>("phase") == "primary");
  BOOST_TEST(node->getValue<std::uint64_t>("epoch") == 7u);
  BOOST_TEST(node->getValue<std::string>("sipd") == "alive");
  BOOST_TEST(node->getValue<bool>("ready_for_switchover"));
  BOOST_TEST(node->getObject("witness")->getValue<std::string>("address") == "192.0.2.1");
  BOOST_TEST(node->getObject("witness")->getValue<bool>("reachable"));
  const auto peer = root->getObject("peer");
  BOOST_TEST(peer->getValue<bool>("heard"));
  BOOST_TEST(peer->getValue<std::string>("id") == "sipha-b");
  BOOST_TEST(peer->getValue<std::string>("role") == "backup");
  BOOST_TEST(peer->getValue<std::uint64_t>("epoch") == 7u);
  BOOST_TEST(peer->getValue<bool>("failing") == false);
  BOOST_TEST(peer->getValue<bool>("ready_for_switchover"));
  BOOST_TEST(peer->getObject("witness")->getValue<bool>("reachable"));
  const auto paths = peer->getArray("paths");
  BOOST_TEST_REQUIRE(paths->size() == 2u);
  BOOST_TEST(paths->getObject(0)->getValue<std::string>("name") == "ha-link");
  BOOST_TEST(paths->getObject(0)->getValue<bool>("alive"));
  BOOST_TEST(paths->getObject(0)->getValue<std::uint64_t>("age_ms") == 12u);
  BOOST_TEST(paths->getObject(1)->isNull("age_ms"));
  const auto last = root->getObject("last_transition");
  BOOST_TEST(last->getValue<std::uint64_t>("time_us") == 1'795'701'787'123'456u);
  BOOST_TEST(last->getValue<std::string>("time") == "2026-11-26T14:03:07.123+00:00");
  BOOST_TEST(last->getValue<std::string>("from") == "promoting");
  BOOST_TEST(last->getValue<std::string>("to") == "primary");
  BOOST_TEST(last->getValue<std::string>("reason") == "peer-silent");
  BOOST_TEST(last->getValue<bool>("not_ready") == false);
  BOOST_TEST(root->getObject("counters")->getValue<std::uint64_t>("heartbeats.sent") == 1200u);
  const auto problems = root->getArray("problems");
  BOOST_TEST_REQUIRE(problems->size() == 1u);
  BOOST_TEST(problems->getElement<std::string>(0) == "heartbeat path service is dead");
}

BOOST_AUTO_TEST_CASE(status_json_of_a_node_that_never_heard_its_peer) {
  AgentStatus status = healthyPrimary();
  status.peerNodeId.clear();
  status.lastTransition = {};
  const auto root = parseObject(statusJson(status));
  BOOST_TEST(root->getObject("peer")->getValue<bool>("heard") == false);
  BOOST_TEST(root->getObject("peer")->isNull("id"));
  BOOST_TEST(root->isNull("last_transition"));
}

BOOST_AUTO_TEST_CASE(history_lines_align) {
  ScopedTimeZone zone{"UTC0"};
  const std::vector<Transition> history{
      {1'795'701'787'123'456, "starting", "backup", "backup", 6, "boot", false, ""},
      {1'795'701'790'000'000, "backup", "promoting", "backup", 6, "peer-silent", false, ""},
      {1'795'701'790'020'000, "promoting", "primary", "primary", 7, "peer-silent", true,
       "witness ok, nobody serves the service address"},
  };
  const std::string expected =
      "2026-11-26T14:03:07.123+00:00  starting -> backup            boot  (backup, epoch 6)\n"
      "2026-11-26T14:03:10.000+00:00  backup -> promoting           peer-silent  (backup, epoch "
      "6)\n"
      "2026-11-26T14:03:10.020+00:00  promoting -> primary          peer-silent  (primary, epoch "
      "7), promoted while not ready for switchover: witness ok, nobody serves the service "
      "address\n";
  BOOST_TEST(formatHistory(history) == expected);
  BOOST_TEST(formatHistory({}) == "no transition yet\n");
  BOOST_TEST(formatTransitionBody(history[1]) ==
             "backup -> promoting  peer-silent  (backup, epoch 6)");
}

BOOST_AUTO_TEST_CASE(history_json_is_an_array_oldest_first) {
  const std::vector<Transition> history{
      {1, "starting", "backup", "backup", 6, "boot", false, ""},
      {2, "backup", "promoting", "backup", 6, "peer-silent", true, "d \"quoted\""},
  };
  const auto entries =
      Poco::JSON::Parser{}.parse(historyJson(history)).extract<Poco::JSON::Array::Ptr>();
  BOOST_TEST_REQUIRE(entries->size() == 2u);
  BOOST_TEST(entries->getObject(0)->getValue<std::string>("to") == "backup");
  BOOST_TEST(entries->getObject(1)->getValue<bool>("not_ready"));
  BOOST_TEST(entries->getObject(1)->getValue<std::string>("detail") == "d \"quoted\"");
  BOOST_TEST(historyJson({}) == "[]");
}

BOOST_AUTO_TEST_CASE(watch_lines_say_what_changed) {
  const AgentStatus before = healthyPrimary();
  BOOST_TEST(describeChange("Phase", before, std::string{"draining"}) ==
                 std::vector<std::string>{"this node: phase primary -> draining"},
             boost::test_tools::per_element());
  BOOST_TEST(describeChange("Epoch", before, std::uint64_t{8}) ==
                 std::vector<std::string>{"this node: epoch 7 -> 8"},
             boost::test_tools::per_element());
  BOOST_TEST(describeChange("PeerReady", before, false) ==
                 std::vector<std::string>{"peer: ready for switchover yes -> no"},
             boost::test_tools::per_element());
  BOOST_TEST(describeChange("WitnessReachable", before, false) ==
                 std::vector<std::string>{"this node: witness reachable -> unreachable"},
             boost::test_tools::per_element());
  BOOST_TEST(describeChange("PeerFailing", before, true) ==
                 std::vector<std::string>{"peer: sipd ok -> failing"},
             boost::test_tools::per_element());
  BOOST_TEST(describeChange("PeerNodeId", before, std::string{}) ==
                 std::vector<std::string>{"peer: node id sipha-b -> (none)"},
             boost::test_tools::per_element());
  // Nothing visible changed: no line.
  BOOST_TEST(describeChange("Phase", before, std::string{"primary"}).empty());
  BOOST_TEST(describeChange("Counters", before, Counters{{"promotions", 2}}).empty());
  BOOST_TEST(describeChange("LastTransition", before, Transition{}).empty());
  BOOST_TEST(describeChange("SomethingNewer", before, std::string{"x"}).empty());
}

BOOST_AUTO_TEST_CASE(watch_reports_a_path_only_when_its_alive_flag_flips) {
  const AgentStatus before = healthyPrimary();
  std::vector<HeartbeatPath> olderAges = before.peerPaths;
  olderAges[0].ageMs = 19;
  BOOST_TEST(describeChange("PeerPaths", before, olderAges).empty());

  std::vector<HeartbeatPath> linkDown = before.peerPaths;
  linkDown[0] = {"ha-link", false, 130};
  BOOST_TEST(
      describeChange("PeerPaths", before, linkDown) ==
          std::vector<std::string>{"peer: heartbeat path ha-link alive -> dead, last 130 ms ago"},
      boost::test_tools::per_element());

  const std::vector<HeartbeatPath> onlyService{{"service", true, 3}, {"backup-link", true, 4}};
  const auto lines = describeChange("PeerPaths", before, onlyService);
  BOOST_TEST(lines.size() == 2u);
  BOOST_TEST(contains(lines, "peer: heartbeat path backup-link alive, last 4 ms ago"));
  BOOST_TEST(contains(lines, "peer: heartbeat path ha-link no longer reported"));
}

BOOST_AUTO_TEST_CASE(switchover_outcomes) {
  BOOST_TEST(formatSwitchoverDone("sipha-b", 8) ==
             "switched over: sipha-b is primary with epoch 8");
  BOOST_TEST(formatSwitchoverDone("", 8) == "switched over: the peer is primary with epoch 8");

  AgentStatus backup = healthyPrimary();
  backup.nodeId = "sipha-b";
  backup.role = backup.phase = "backup";
  backup.peerNodeId = "sipha-a";
  backup.peerRole = "primary";
  BOOST_TEST(formatSwitchoverFailed(false, "this node is not the primary", backup) ==
             "switchover refused: this node is not the primary\n"
             "this node (sipha-b) is the backup: run `siphactl switchover` on the primary, "
             "sipha-a");

  AgentStatus lonely = backup;
  lonely.peerNodeId.clear();
  BOOST_TEST(formatSwitchoverFailed(false, "this node is not the primary", lonely) ==
             "switchover refused: this node is not the primary\n"
             "this node (sipha-b) is the backup: run `siphactl switchover` on the primary (the "
             "peer was never heard from this node)");

  BOOST_TEST(
      formatSwitchoverFailed(false, "the backup is not ready for switchover", healthyPrimary()) ==
      "switchover refused: the backup is not ready for switchover\n"
      "now sipha-a: primary, phase primary, epoch 7, sipd alive; peer sipha-b backup, "
      "epoch 7");
  BOOST_TEST(formatSwitchoverFailed(true, "drain timeout", std::nullopt) ==
             "switchover abandoned: drain timeout");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::siphactl::test
