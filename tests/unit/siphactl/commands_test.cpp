// The commands end to end in-process (runCommand) against the stand-in agent on a private bus:
// what goes to stdout and stderr, and the exit status.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <boost/test/unit_test.hpp>
#include <sstream>

#include "fake_agent.hpp"
#include "private_bus.hpp"
#include "siphactl/commands.hpp"
#include "siphactl/format.hpp"
#include "test_support.hpp"

namespace sipha::siphactl::test {
namespace {

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

Run run(std::initializer_list<const char*> arguments) {
  std::vector<const char*> argv{"siphactl"};
  argv.insert(argv.end(), arguments);
  std::ostringstream out;
  std::ostringstream err;
  Run result;
  result.code = runCommand(parseCommandLine(static_cast<int>(argv.size()), argv.data()), out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

struct AgentFixture {
  AgentFixture() { BOOST_TEST_REQUIRE(agent.startResult() >= 0); }
  ScopedTimeZone zone{"UTC0"};
  control::test::PrivateBus privateBus;
  FakeAgentThread agent;
  FakeControl control;
};

// The node's view after the peer took over by an earlier switchover: it is the backup.
void becomeBackup(FakeControl& control) {
  control.set("Role", std::string{"backup"});
  control.set("Phase", std::string{"backup"});
  control.set("PeerRole", std::string{"primary"});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(commands)

BOOST_FIXTURE_TEST_CASE(status_prints_the_table, AgentFixture) {
  const Run result = run({"status"});
  BOOST_TEST(result.code == kExitOk);
  BOOST_TEST(result.out == formatStatus(healthyPrimary()));
  BOOST_TEST(result.err == "");
}

BOOST_FIXTURE_TEST_CASE(status_json, AgentFixture) {
  const Run result = run({"status", "--json"});
  BOOST_TEST(result.code == kExitOk);
  const auto root = Poco::JSON::Parser{}.parse(result.out).extract<Poco::JSON::Object::Ptr>();
  BOOST_TEST(root->getValue<bool>("ok"));
  BOOST_TEST(root->getObject("peer")->getValue<std::string>("id") == "sipha-b");
  BOOST_TEST(result.out.back() == '\n');
}

BOOST_FIXTURE_TEST_CASE(history_one_line_per_entry, AgentFixture) {
  control.addTransition({1'795'701'800'000'000, "primary", "draining", "primary", 7,
                         "switchover-requested", false, ""});
  control.addTransition({1'795'701'800'040'000, "draining", "handing-over", "backup", 7,
                         "handover-complete", false, ""});
  const Run result = run({"history"});
  BOOST_TEST(result.code == kExitOk);
  BOOST_TEST(result.out ==
             "2026-11-26T14:03:20.000+00:00  primary -> draining           switchover-requested  "
             "(primary, epoch 7)\n"
             "2026-11-26T14:03:20.040+00:00  draining -> handing-over      handover-complete  "
             "(backup, epoch 7)\n");
  const Run json = run({"history", "--json"});
  BOOST_TEST(json.code == kExitOk);
  BOOST_TEST(json.out.find("\"reason\":\"handover-complete\"") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(switchover_done, AgentFixture) {
  control.setSwitchover("ok", "", 8, 50);
  const Run result = run({"switchover"});
  BOOST_TEST(result.code == kExitOk);
  BOOST_TEST(result.out == "switched over: sipha-b is primary with epoch 8\n");
  BOOST_TEST(result.err == "");
}

BOOST_FIXTURE_TEST_CASE(switchover_refused_on_the_backup_names_the_primary, AgentFixture) {
  becomeBackup(control);
  control.setSwitchover("refused", "this node is not the primary");
  const Run result = run({"switchover"});
  BOOST_TEST(result.code == kExitRefused);
  BOOST_TEST(result.out == "");
  BOOST_TEST(result.err ==
             "switchover refused: this node is not the primary\n"
             "this node (sipha-a) is the backup: run `siphactl switchover` on the primary, "
             "sipha-b\n");
}

BOOST_FIXTURE_TEST_CASE(switchover_refused_or_abandoned_on_the_primary, AgentFixture) {
  control.setSwitchover("refused", "the backup is not ready for switchover");
  Run result = run({"switchover"});
  BOOST_TEST(result.code == kExitRefused);
  BOOST_TEST(result.err ==
             "switchover refused: the backup is not ready for switchover\n"
             "now sipha-a: primary, phase primary, epoch 7, sipd alive; peer sipha-b backup, "
             "epoch 7\n");

  control.setSwitchover("abandoned", "drain not done in 1 s");
  result = run({"switchover"});
  BOOST_TEST(result.code == kExitRefused);
  BOOST_TEST(result.err.rfind("switchover abandoned: drain not done in 1 s\nnow sipha-a:", 0) ==
             0u);
}

BOOST_AUTO_TEST_CASE(the_agent_not_on_the_bus) {
  control::test::PrivateBus privateBus;
  for (const char* command : {"status", "switchover", "history", "watch"}) {
    const Run result = run({command});
    BOOST_TEST(result.code == kExitUnavailable, command);
    BOOST_TEST(result.out == "");
    BOOST_TEST(
        result.err == "sipha-agent is not running on this node (org.sipha.Agent1 not on the bus)\n",
        command);
  }
  // Standalone by configuration: the reason follows.
  const TempFile config{"[ha]\nmode = standalone\n"};
  const Run result = run({"status", "--config", config.path().c_str()});
  BOOST_TEST(result.code == kExitUnavailable);
  BOOST_TEST(result.err ==
             "sipha-agent is not running on this node (org.sipha.Agent1 not on the "
             "bus)\nstandalone: [ha] mode = standalone (" +
                 config.path() + ":2): sipha-agent has nothing to decide\n");
}

BOOST_AUTO_TEST_CASE(the_bus_not_there) {
  const Run result = run({"--bus", "unix:path=/nonexistent/bus.sock", "status"});
  BOOST_TEST(result.code == kExitUnavailable);
  BOOST_TEST(
      result.err ==
      "cannot reach the bus at unix:path=/nonexistent/bus.sock: No such file or directory\n");
}

BOOST_AUTO_TEST_CASE(bad_usage_exits_2) {
  Run result = run({"bogus"});
  BOOST_TEST(result.code == kExitUnavailable);
  BOOST_TEST(result.err == "siphactl: unknown command bogus (see siphactl --help)\n");
  result = run({});
  BOOST_TEST(result.code == kExitUnavailable);
  BOOST_TEST(result.err == usageText());
  result = run({"--help"});
  BOOST_TEST(result.code == kExitOk);
  BOOST_TEST(result.out == usageText());
}

BOOST_AUTO_TEST_CASE(pair_mode_is_the_agents_start_condition) {
  const TempFile pair{"[ha]\nmode = pair\n"};
  Run result = run({"pair-mode", "--config", pair.path().c_str()});
  BOOST_TEST(result.code == 0);
  BOOST_TEST(result.out == "pair: [ha] mode = pair (" + pair.path() + ":2)\n");

  const TempFile standalone{"[TServer]\nsip-address = 10.0.0.10\n"};
  result = run({"pair-mode", "--config", standalone.path().c_str()});
  BOOST_TEST(result.code == 1);

  // Unreadable or broken: the agent is started, reads the file and says what is wrong.
  result = run({"pair-mode", "--config", "/nonexistent/sipha.ini"});
  BOOST_TEST(result.code == 0);
  BOOST_TEST(result.err.find("cannot read /nonexistent/sipha.ini") != std::string::npos);
  const TempFile broken{"[ha]\nmode = both\n"};
  result = run({"pair-mode", "--config", broken.path().c_str()});
  BOOST_TEST(result.code == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::siphactl::test
