// The command line and the start condition's reading of [ha] mode, and the property table.
#include <boost/test/unit_test.hpp>
#include <initializer_list>
#include <vector>

#include "siphactl/agent_status.hpp"
#include "siphactl/command_line.hpp"
#include "siphactl/pair_mode.hpp"

namespace sipha::siphactl::test {
namespace {

CommandLine parse(std::initializer_list<const char*> arguments) {
  std::vector<const char*> argv{"siphactl"};
  argv.insert(argv.end(), arguments);
  return parseCommandLine(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(commands_and_their_options) {
  auto line = parse({"status"});
  BOOST_TEST(line.error == "");
  BOOST_TEST((line.command == Command::Status));
  BOOST_TEST(!line.json);
  BOOST_TEST(line.busAddress == "");
  BOOST_TEST(line.configPath == "/etc/sipha/sipha.ini");

  line = parse({"status", "--json"});
  BOOST_TEST(line.error == "");
  BOOST_TEST(line.json);
  line = parse({"--json", "history"});
  BOOST_TEST(line.error == "");
  BOOST_TEST((line.command == Command::History));
  BOOST_TEST(line.json);

  line = parse({"--bus", "unix:path=/run/x", "switchover"});
  BOOST_TEST(line.error == "");
  BOOST_TEST((line.command == Command::Switchover));
  BOOST_TEST(line.busAddress == "unix:path=/run/x");
  line = parse({"watch", "--bus=unix:path=/run/y"});
  BOOST_TEST(line.error == "");
  BOOST_TEST((line.command == Command::Watch));
  BOOST_TEST(line.busAddress == "unix:path=/run/y");

  line = parse({"pair-mode", "--config", "/tmp/a.ini"});
  BOOST_TEST(line.error == "");
  BOOST_TEST((line.command == Command::PairMode));
  BOOST_TEST(line.configPath == "/tmp/a.ini");
}

BOOST_AUTO_TEST_CASE(help_wins) {
  BOOST_TEST((parse({"--help"}).command == Command::Help));
  BOOST_TEST((parse({"status", "-h"}).command == Command::Help));
  BOOST_TEST((parse({"bogus", "--help"}).command == Command::Help));
  BOOST_TEST(parse({"bogus", "--help"}).error == "");
  BOOST_TEST((parse({"help"}).command == Command::Help));
}

BOOST_AUTO_TEST_CASE(bad_usage_is_named) {
  BOOST_TEST(parse({}).error == kNoCommand);
  BOOST_TEST(parse({"bogus"}).error == "unknown command bogus");
  BOOST_TEST(parse({"status", "extra"}).error == "unexpected argument extra");
  BOOST_TEST(parse({"status", "--verbose"}).error == "unknown option --verbose");
  BOOST_TEST(parse({"switchover", "--json"}).error == "--json goes with status and history");
  BOOST_TEST(parse({"watch", "--json"}).error == "--json goes with status and history");
  BOOST_TEST(parse({"status", "--bus"}).error == "--bus needs a value");
  BOOST_TEST(parse({"status", "--bus="}).error == "--bus needs a value");
  BOOST_TEST(parse({"pair-mode", "--bus", "unix:path=/x"}).error ==
             "pair-mode reads the configuration, not the bus");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(pair_mode)

BOOST_AUTO_TEST_CASE(pair_standalone_or_unknown) {
  auto answer = pairModeOfText("[TServer]\nsip-address = 10.0.0.10\n\n[ha]\nmode = pair ; yes\n",
                               "/etc/sipha/sipha.ini");
  BOOST_TEST((answer.mode == PairMode::Pair));
  BOOST_TEST(answer.explanation == "pair: [ha] mode = pair (/etc/sipha/sipha.ini:5)");

  answer = pairModeOfText("[ha]\nmode = standalone\n", "f.ini");
  BOOST_TEST((answer.mode == PairMode::Standalone));
  BOOST_TEST(answer.explanation ==
             "standalone: [ha] mode = standalone (f.ini:2): sipha-agent has nothing to decide");

  answer = pairModeOfText("[TServer]\nsip-address = 10.0.0.10\n", "f.ini");
  BOOST_TEST((answer.mode == PairMode::Standalone));
  BOOST_TEST(answer.explanation ==
             "standalone: no [ha] mode in f.ini: sipha-agent has nothing to decide");

  // Another section's "mode" is not [ha]'s.
  answer = pairModeOfText("[network]\nmode = takeover\n[ha]\npeer-address = 10.0.1.2\n", "f.ini");
  BOOST_TEST((answer.mode == PairMode::Standalone));

  answer = pairModeOfText("[ha]\nmode = Pair\n", "f.ini");
  BOOST_TEST((answer.mode == PairMode::Unknown));
  BOOST_TEST(answer.explanation ==
             "cannot tell whether this node is in a pair: [ha] mode = 'Pair' (f.ini:2)");

  answer = pairModeOfText("[ha\nmode = pair\n", "f.ini");
  BOOST_TEST((answer.mode == PairMode::Unknown));
  BOOST_TEST(answer.explanation.rfind("cannot tell whether this node is in a pair: f.ini:1:", 0) ==
             0u);

  answer = pairModeOfFile("/nonexistent/sipha.ini");
  BOOST_TEST((answer.mode == PairMode::Unknown));
  BOOST_TEST(answer.explanation ==
             "cannot tell whether this node is in a pair: cannot read /nonexistent/sipha.ini: No "
             "such file or directory");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(agent_status)

BOOST_AUTO_TEST_CASE(every_property_has_its_type) {
  BOOST_TEST(propertyNames().size() == 17u);
  BOOST_TEST(*propertySignature("NodeId") == "s");
  BOOST_TEST(*propertySignature("Epoch") == "t");
  BOOST_TEST(*propertySignature("PeerReady") == "b");
  BOOST_TEST(*propertySignature("PeerPaths") == "a(sbt)");
  BOOST_TEST(*propertySignature("LastTransition") == "(tssstsbs)");
  BOOST_TEST(*propertySignature("Counters") == "a{st}");
  BOOST_TEST(!propertySignature("Nope"));
  for (const auto name : propertyNames()) {
    const AgentStatus empty;
    BOOST_TEST(signatureOf(*propertyValue(empty, name)) == *propertySignature(name));
  }
}

BOOST_AUTO_TEST_CASE(set_checks_the_type) {
  AgentStatus status;
  BOOST_TEST(setProperty(status, "Phase", std::string{"draining"}));
  BOOST_TEST(status.phase == "draining");
  BOOST_TEST(setProperty(status, "PeerEpoch", std::uint64_t{9}));
  BOOST_TEST(status.peerEpoch == 9u);
  BOOST_TEST(!setProperty(status, "PeerEpoch", std::string{"9"}));
  BOOST_TEST(status.peerEpoch == 9u);
  BOOST_TEST(!setProperty(status, "Nope", true));
  BOOST_TEST(isEmpty(Transition{}));
  BOOST_TEST(!isEmpty(Transition{0, "", "starting", "backup", 0, "boot", false, ""}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::siphactl::test
