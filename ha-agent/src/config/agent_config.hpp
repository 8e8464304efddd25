#pragma once
// sipha-agent's options (docs/ha-agent.md, "Configuration"): its own in [ha], with defaults taken
// from [network] (sipha-netcfg's, validated by its parser) and [TServer], so an operator writes
// each address once. Every problem comes back located (file, line, option, reason).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "common/config/config_error.hpp"
#include "decision/decision_config.hpp"

namespace sipha::agent {

// Where the agent looks for "somebody else serves the service address" (docs/ha-agent.md, "The
// service address probe"): an OPTIONS that only a primary sipd answers, naming itself.
struct ServiceProbeTarget {
  std::string address;  // the peer's sip-interface (or, takeover without it, the VIP)
  std::uint16_t port = 5060;
};

struct AgentConfig {
  std::string configPath;
  bool pair = false;      // [ha] mode = pair; standalone: nothing to decide
  bool takeover = false;  // [network] mode = takeover (the VIP moves with the role)
  DecisionConfig decision;
  std::string pairKeyPath;                  // pair-key
  std::string haAddress;                    // heartbeat-address: the HA-link path's local end
  std::string peerHaAddress;                // peer-address
  std::string serviceAddress;               // [TServer] sip-interface: the service path's local end
  std::string peerServiceAddress;           // peer-service-address (empty: one path only)
  std::uint16_t heartbeatPort = 7700;       // heartbeat-port, both paths, both nodes
  std::string witness;                      // witness: BIG-IP self IP / gateway
  std::optional<ServiceProbeTarget> probe;  // service-probe = off: none (answers Unknown)
  // Probe awareness (docs/ha-agent.md): on behind a BIG-IP, off in takeover mode by default;
  // the monitor's addresses (monitor-sources; default [network] bigip-self-ips, else the
  // witness) and its timeout go to decision.monitorTimeout.
  bool probeAwareness = false;
  std::vector<std::string> monitorSources;
  std::string stateDirectory;  // [appliance] data-dir + "/agent"
  common::LogLevel logLevel = common::LogLevel::Info;
};

struct AgentConfigResult {
  std::optional<AgentConfig> config;  // set only when errors is empty
  std::vector<common::ConfigError> errors;
};

// Validates the agent's options of an already loaded configuration file.
AgentConfigResult parseAgentConfig(const common::Config& config);

}  // namespace sipha::agent
