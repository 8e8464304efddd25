// sipha-netcfg's command line: commands, required and refused options.
#include "cli/command_line.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

namespace sipha::netcfg::cli {
namespace {

CommandLineResult parse(std::vector<const char*> args) {
  args.insert(args.begin(), "sipha-netcfg");
  return parseCommandLine(static_cast<int>(args.size()), args.data());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(commands) {
  auto result = parse({"apply", "--config", "/etc/sipha/sipha.ini"});
  BOOST_REQUIRE(result.commandLine);
  BOOST_TEST((result.commandLine->command == Command::Apply));
  BOOST_TEST(result.commandLine->configPath == "/etc/sipha/sipha.ini");
  result = parse({"--config", "a.ini", "serve"});
  BOOST_REQUIRE(result.commandLine);
  BOOST_TEST((result.commandLine->command == Command::Serve));
  result = parse({"check", "--config", "a.ini", "--peer-config", "b.ini"});
  BOOST_REQUIRE(result.commandLine);
  BOOST_TEST((result.commandLine->command == Command::Check));
  BOOST_TEST(result.commandLine->peerConfigPath == "b.ini");
  result = parse({"bigip-export", "--peer-config", "b.ini", "--config", "a.ini"});
  BOOST_REQUIRE(result.commandLine);
  BOOST_TEST((result.commandLine->command == Command::BigipExport));
  BOOST_TEST(parse({"status", "--config", "a.ini"}).commandLine.has_value());
  BOOST_TEST(parse({"--help"}).help);
}

BOOST_AUTO_TEST_CASE(refusals) {
  BOOST_TEST(parse({}).error == "no command given");
  BOOST_TEST(parse({"apply"}).error == "--config FILE is required");
  BOOST_TEST(parse({"apply", "--config"}).error == "--config needs a file");
  BOOST_TEST(parse({"reboot", "--config", "a.ini"}).error == "unknown command 'reboot'");
  BOOST_TEST(parse({"check", "--config", "a.ini"}).error ==
             "--peer-config FILE is required by this command");
  BOOST_TEST(parse({"apply", "--config", "a.ini", "--peer-config", "b.ini"}).error ==
             "--peer-config is only for bigip-export and check");
  BOOST_TEST(parse({"apply", "status", "--config", "a.ini"}).error ==
             "unexpected argument 'status'");
  BOOST_TEST(!parse({"apply", "--verbose", "--config", "a.ini"}).commandLine.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg::cli
