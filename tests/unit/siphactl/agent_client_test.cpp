// The bus client against the stand-in agent on a real private dbus-daemon
// (tests/data/dbus/system-test.conf): what it reads, and how each failure is sorted.
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "fake_agent.hpp"
#include "private_bus.hpp"
#include "siphactl/agent_client.hpp"

namespace sipha::siphactl::test {
namespace {

struct BusFixture {
  control::test::PrivateBus privateBus;
};

struct AgentFixture : BusFixture {
  AgentFixture() {
    BOOST_TEST_REQUIRE(agent.startResult() >= 0);
    BOOST_TEST_REQUIRE(!client.connect().has_value());
  }
  std::vector<Transition> history{
      {1'795'701'787'000'000, "starting", "backup", "backup", 6, "boot", false, ""},
      {1'795'701'790'020'000, "promoting", "primary", "primary", 7, "peer-silent", true,
       "witness ok"},
  };
  FakeAgentThread agent{healthyPrimary(), history};
  AgentClient client;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_client)

BOOST_FIXTURE_TEST_CASE(reads_every_property_in_one_snapshot, AgentFixture) {
  const auto status = client.readStatus();
  BOOST_TEST_REQUIRE(status.ok(), status.error.message);
  BOOST_TEST((*status.value == healthyPrimary()));
  BOOST_TEST(status.value->peerPaths.size() == 2u);
  BOOST_TEST(status.value->counters.at("heartbeats.received") == 1187u);
}

BOOST_FIXTURE_TEST_CASE(reads_one_property_and_the_history, AgentFixture) {
  const auto phase = client.readProperty("Phase");
  BOOST_TEST_REQUIRE(phase.ok(), phase.error.message);
  BOOST_TEST(std::get<std::string>(*phase.value) == "primary");
  const auto last = client.readProperty("LastTransition");
  BOOST_TEST_REQUIRE(last.ok(), last.error.message);
  BOOST_TEST((std::get<Transition>(*last.value) == healthyPrimary().lastTransition));

  const auto read = client.readHistory();
  BOOST_TEST_REQUIRE(read.ok(), read.error.message);
  BOOST_TEST((*read.value == history));
}

BOOST_FIXTURE_TEST_CASE(a_change_is_read_back, AgentFixture) {
  FakeControl control;
  control.set("PeerPaths", std::vector<HeartbeatPath>{{"ha-link", false, kNever}});
  control.set("Counters", Counters{});
  control.set("LocalSipd", std::string{"hung"});
  const auto status = client.readStatus();
  BOOST_TEST_REQUIRE(status.ok(), status.error.message);
  BOOST_TEST(status.value->localSipd == "hung");
  BOOST_TEST_REQUIRE(status.value->peerPaths.size() == 1u);
  BOOST_TEST(status.value->peerPaths[0].ageMs == kNever);
  BOOST_TEST(status.value->counters.empty());
}

BOOST_FIXTURE_TEST_CASE(switchover_answers, AgentFixture) {
  FakeControl control;
  auto result = client.switchover();
  BOOST_TEST_REQUIRE(result.ok(), result.error.message);
  BOOST_TEST(*result.value == 8u);

  control.setSwitchover("ok", "", 12, 150);  // returns when the peer took over
  result = client.switchover();
  BOOST_TEST_REQUIRE(result.ok(), result.error.message);
  BOOST_TEST(*result.value == 12u);

  control.setSwitchover("refused", "the backup is not ready for switchover");
  result = client.switchover();
  BOOST_TEST(!result.ok());
  BOOST_TEST((result.error.kind == ErrorKind::Refused));
  BOOST_TEST(result.error.name == "org.sipha.Agent1.SwitchoverRefused");
  BOOST_TEST(result.error.message == "the backup is not ready for switchover");

  control.setSwitchover("abandoned", "the backup was lost during the drain");
  result = client.switchover();
  BOOST_TEST((result.error.kind == ErrorKind::Abandoned));
  BOOST_TEST(result.error.message == "the backup was lost during the drain");

  control.setSwitchover("silent");
  const auto started = std::chrono::steady_clock::now();
  result = client.switchover(300'000);
  BOOST_TEST((result.error.kind == ErrorKind::Timeout), result.error.message);
  const auto waitedMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  BOOST_TEST(waitedMs < 5'000);
}

BOOST_FIXTURE_TEST_CASE(an_agent_that_is_not_there, BusFixture) {
  AgentClient client;
  BOOST_TEST_REQUIRE(!client.connect().has_value());
  const auto status = client.readStatus();
  BOOST_TEST(!status.ok());
  BOOST_TEST((status.error.kind == ErrorKind::AgentAbsent), status.error.name);
  BOOST_TEST((client.switchover().error.kind == ErrorKind::AgentAbsent));
  BOOST_TEST((client.readHistory().error.kind == ErrorKind::AgentAbsent));
}

BOOST_FIXTURE_TEST_CASE(an_agent_that_left_and_came_back, AgentFixture) {
  FakeControl control;
  control.vanish();
  BOOST_TEST((client.readStatus().error.kind == ErrorKind::AgentAbsent));
  control.comeBack();
  BOOST_TEST(client.readStatus().ok());
}

BOOST_AUTO_TEST_CASE(a_bus_that_is_not_there) {
  AgentClient client;
  const auto error = client.connect("unix:path=/nonexistent/siphactl-test.sock");
  BOOST_TEST_REQUIRE(error.has_value());
  BOOST_TEST((error->kind == ErrorKind::BusUnreachable));
  BOOST_TEST(error->message == "No such file or directory");
  BOOST_TEST(client.address() == "unix:path=/nonexistent/siphactl-test.sock");
  BOOST_TEST((client.readStatus().error.kind == ErrorKind::BusUnreachable));
}

BOOST_FIXTURE_TEST_CASE(a_bus_that_goes_away, AgentFixture) {
  privateBus.stop();
  const auto status = client.readStatus();
  BOOST_TEST((status.error.kind == ErrorKind::BusUnreachable), status.error.message);
}

BOOST_FIXTURE_TEST_CASE(the_system_bus_address_follows_the_environment, BusFixture) {
  BOOST_TEST(systemBusAddress() == privateBus.address());
  AgentClient client;
  BOOST_TEST_REQUIRE(!client.connect().has_value());
  BOOST_TEST(client.address() == privateBus.address());
  AgentClient explicitClient;
  BOOST_TEST(!explicitClient.connect(privateBus.address()).has_value());
  BOOST_TEST((explicitClient.readStatus().error.kind == ErrorKind::AgentAbsent));
}

BOOST_FIXTURE_TEST_CASE(wrong_types_are_named_and_newer_properties_skipped, BusFixture) {
  sd_bus* bus = nullptr;
  BOOST_TEST_REQUIRE(sd_bus_open_system(&bus) >= 0);
  // A right-typed message: the unknown property is skipped.
  sd_bus_message* good = nullptr;
  BOOST_TEST_REQUIRE(sd_bus_message_new_signal(bus, &good, "/t", "org.sipha.Test", "T") >= 0);
  BOOST_TEST_REQUIRE(sd_bus_message_append(good, "a{sv}", 3, "Phase", "s", "draining",
                                           "FromTheFuture", "u", 5u, "Epoch", "t",
                                           std::uint64_t{9}) >= 0);
  BOOST_TEST_REQUIRE(sd_bus_message_seal(good, 1, 0) >= 0);
  BOOST_TEST_REQUIRE(sd_bus_message_rewind(good, 1) >= 0);
  AgentStatus status;
  std::string problem;
  std::vector<std::string> names;
  BOOST_TEST(readProperties(good, status, problem, &names) >= 0, problem);
  BOOST_TEST(status.phase == "draining");
  BOOST_TEST(status.epoch == 9u);
  BOOST_TEST(names == (std::vector<std::string>{"Phase", "Epoch"}),
             boost::test_tools::per_element());
  sd_bus_message_unref(good);

  sd_bus_message* bad = nullptr;
  BOOST_TEST_REQUIRE(sd_bus_message_new_signal(bus, &bad, "/t", "org.sipha.Test", "T") >= 0);
  BOOST_TEST_REQUIRE(sd_bus_message_append(bad, "a{sv}", 1, "Epoch", "s", "9") >= 0);
  BOOST_TEST_REQUIRE(sd_bus_message_seal(bad, 2, 0) >= 0);
  BOOST_TEST_REQUIRE(sd_bus_message_rewind(bad, 1) >= 0);
  AgentStatus other;
  problem.clear();
  BOOST_TEST(readProperties(bad, other, problem) < 0);
  BOOST_TEST(problem == "property Epoch has type s, expected t");
  sd_bus_message_unref(bad);
  sd_bus_flush_close_unref(bus);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::siphactl::test
