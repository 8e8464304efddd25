// netcfg-firewall-apply: the namespace tests' driver. Builds table inet sipha from a configuration
// file and applies it (or removes it) in the network namespace it runs in.
//   netcfg-firewall-apply --config FILE [--holds-vip] [--print]
//   netcfg-firewall-apply --remove
// Exit 0 on success, 1 when nft refuses, 2 on a bad command line or configuration.
#include <iostream>
#include <string>

#include "common/config/config_loader.hpp"
#include "config/network_config.hpp"
#include "firewall/ruleset.hpp"

int main(int argc, char** argv) {
  std::string path;
  bool holdsVip = false;
  bool print = false;
  bool remove = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc)
      path = argv[++i];
    else if (arg == "--holds-vip")
      holdsVip = true;
    else if (arg == "--print")
      print = true;
    else if (arg == "--remove")
      remove = true;
    else {
      std::cerr
          << "usage: netcfg-firewall-apply --config FILE [--holds-vip] [--print] | --remove\n";
      return 2;
    }
  }
  if (remove) {
    const auto result = sipha::netcfg::removeRuleset();
    if (!result.ok) std::cerr << result.error << "\n";
    return result.ok ? 0 : 1;
  }
  auto loaded = sipha::common::loadConfigFile(path);
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << error.toString() << "\n";
    return 2;
  }
  auto network = sipha::netcfg::parseNetworkConfig(*loaded.config);
  if (!network.config) {
    for (const auto& error : network.errors) std::cerr << error.toString() << "\n";
    return 2;
  }
  const auto script = sipha::netcfg::buildRuleset(*loaded.config, *network.config, holdsVip);
  if (print) std::cout << script;
  const auto result = sipha::netcfg::applyRuleset(script);
  if (!result.ok) std::cerr << result.error << "\n";
  return result.ok ? 0 : 1;
}
