// sipha-netcfg without a [network] section: `apply` does nothing and succeeds, the service runs
// unconfigured (SetRole recorded with epoch fencing, no VIP), Apply re-reads the file, and a
// present but invalid [network] section is still refused.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "common/config/config_loader.hpp"
#include "service/netcfg_service.hpp"

namespace sipha::netcfg {
namespace {

constexpr const char* kBase =
    "[TServer]\nsip-address = 0.0.0.0\nsip-interface = 0.0.0.0\nsip-port = 5060\n"
    "[appliance]\nlog-level = info\n";

// A configuration file in a fresh temporary directory, removed with the fixture.
struct ConfigFile {
  std::string dir;
  std::string path;
  ConfigFile() {
    char pattern[] = "/tmp/netcfg-unconfigured-XXXXXX";
    dir = mkdtemp(pattern);
    path = dir + "/sipha.ini";
  }
  ~ConfigFile() {
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
  void write(const std::string& text) const { std::ofstream{path} << text; }
};

common::Config load(const std::string& path) {
  auto loaded = common::loadConfigFile(path);
  BOOST_REQUIRE(loaded.config);
  return std::move(*loaded.config);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(unconfigured)

BOOST_AUTO_TEST_CASE(apply_without_network_section_does_nothing) {
  ConfigFile file;
  file.write(kBase);
  cli::CommandLine line{cli::Command::Apply, file.path, {}};
  std::ostringstream out, err;
  BOOST_TEST(cli::runApply(line, out, err) == cli::kExitOk);
  BOOST_TEST(out.str() == "no [network] section: nothing to do\n");
  BOOST_TEST(err.str().empty());
}

BOOST_AUTO_TEST_CASE(apply_with_invalid_network_section_is_refused) {
  ConfigFile file;
  file.write(std::string{kBase} + "[network]\nmode = sideways\n");
  cli::CommandLine line{cli::Command::Apply, file.path, {}};
  std::ostringstream out, err;
  BOOST_TEST(cli::runApply(line, out, err) == cli::kExitRefused);
  BOOST_TEST(err.str().find("network.mode") != std::string::npos);
  BOOST_TEST(out.str().empty());
}

BOOST_AUTO_TEST_CASE(service_records_roles_without_holding_a_vip) {
  ConfigFile file;
  file.write(kBase);
  service::NetcfgService netcfg{load(file.path)};
  BOOST_TEST(!netcfg.configured());
  service::ApplyOutcome outcome;
  BOOST_TEST(netcfg.setRole(common::Role::Primary, 5, outcome).ok());
  BOOST_TEST(outcome.ok());
  BOOST_TEST(outcome.changes.empty());
  BOOST_TEST((netcfg.role() == common::Role::Primary));
  BOOST_TEST(netcfg.epoch() == 5u);
  BOOST_TEST(!netcfg.holdsVip());
  const auto stale = netcfg.setRole(common::Role::Backup, 4, outcome);
  BOOST_TEST(stale.errorName == common::dbus::kErrorStaleEpoch);
  BOOST_TEST((netcfg.role() == common::Role::Primary));
  const std::string status = netcfg.statusJson();
  BOOST_TEST(status.find("\"mode\":\"unconfigured\"") != std::string::npos);
  BOOST_TEST(status.find("\"role\":\"primary\"") != std::string::npos);
  BOOST_TEST(status.find("\"epoch\":5") != std::string::npos);
  BOOST_TEST(status.find("\"holdsVip\":false") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(apply_rereads_and_refuses_an_invalid_section) {
  ConfigFile file;
  file.write(kBase);
  service::NetcfgService netcfg{load(file.path)};
  service::ApplyOutcome outcome;
  BOOST_TEST(netcfg.apply(outcome).ok());
  BOOST_TEST(!netcfg.configured());
  file.write(std::string{kBase} + "[network]\nmode = sideways\n");
  const auto refused = netcfg.apply(outcome);
  BOOST_TEST(refused.errorName == common::dbus::kErrorConfigInvalid);
  BOOST_TEST(refused.errorMessage.find("network.mode") != std::string::npos);
  BOOST_TEST(!netcfg.configured());
  BOOST_TEST(netcfg.statusJson().find("\"mode\":\"unconfigured\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg
