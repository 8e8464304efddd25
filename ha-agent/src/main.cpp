// sipha-agent: decides which node of the pair is primary (docs/ha-agent.md). Thin: read the
// configuration and the pair key, then run the driver.
#include <cstring>
#include <iostream>
#include <string>

#include "common/config/config_loader.hpp"
#include "common/log/log.hpp"
#include "config/agent_config.hpp"
#include "heartbeat/pair_key.hpp"
#include "service/agent_service.hpp"

namespace {

constexpr const char* kUsage =
    "usage: sipha-agent [--config FILE] [--check]\n"
    "  --config FILE  the appliance configuration (default /etc/sipha/sipha.ini)\n"
    "  --check        validate the configuration and the pair key, then exit\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace sipha;
  std::string path = "/etc/sipha/sipha.ini";
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) {
      path = argv[++i];
    } else if (!std::strcmp(argv[i], "--check")) {
      check = true;
    } else if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "sipha-agent: unknown argument '" << argv[i] << "'\n" << kUsage;
      return 2;
    }
  }
  common::setLogIdentifier("sipha-agent");
  const auto loaded = common::loadConfigFile(path);
  if (!loaded.config) {
    for (const auto& error : loaded.errors) std::cerr << error.toString() << "\n";
    return 1;
  }
  auto parsed = agent::parseAgentConfig(*loaded.config);
  if (!parsed.config) {
    for (const auto& error : parsed.errors) std::cerr << error.toString() << "\n";
    return 1;
  }
  agent::AgentConfig& config = *parsed.config;
  common::setLogLevel(config.logLevel);
  if (!config.pair) {
    common::logNotice("agent: [ha] mode is standalone: nothing to decide, sipd is primary alone");
    return 0;
  }
  auto key = agent::heartbeat::loadPairKey(config.pairKeyPath);
  if (!key.key) {
    std::cerr << path << ": option 'ha.pair-key': " << key.message << "\n";
    return 1;
  }
  if (check) {
    std::cout << path << ": sipha-agent configuration OK\n";
    return 0;
  }
  agent::service::AgentService service(std::move(config), std::move(*key.key));
  return service.run();
}
