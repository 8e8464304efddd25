#include "config/agent_config.hpp"

#include <functional>
#include <map>
#include <string_view>

#include "common/config/config_loader.hpp"
#include "common/config/option_values.hpp"
#include "config/network_config.hpp"

namespace sipha::agent {
namespace {

using common::ConfigError;

// Milliseconds options of the decision's timers (docs/ha-agent.md, "Timers and defaults"); the
// relations between them are checked by validate() afterwards.
struct TimerOption {
  Duration DecisionConfig::*field;
  std::uint64_t min;
  std::uint64_t max;
};

const std::map<std::string, TimerOption, std::less<>>& timerOptions() {
  using D = DecisionConfig;
  static const std::map<std::string, TimerOption, std::less<>> options{
      {"heartbeat-interval-ms", {&D::heartbeatInterval, 5, 10000}},
      {"dead-interval-ms", {&D::deadInterval, 15, 60000}},
      {"startup-wait-ms", {&D::startupWait, 15, 600000}},
      {"witness-interval-ms", {&D::witnessInterval, 5, 10000}},
      {"witness-dead-interval-ms", {&D::witnessDeadInterval, 10, 60000}},
      {"service-probe-interval-ms", {&D::serviceProbeInterval, 10, 60000}},
      {"promotion-retry-ms", {&D::promotionRetry, 10, 60000}},
      {"drain-timeout-ms", {&D::drainTimeout, 10, 60000}},
      {"handover-timeout-ms", {&D::handoverTimeout, 10, 60000}},
      {"monitor-timeout-ms", {&D::monitorTimeout, 100, 600000}},
  };
  return options;
}

class Parser {
 public:
  explicit Parser(const common::Config& config) : config_(config) {}

  AgentConfigResult run() {
    out_.configPath = config_.path;
    out_.pair = config_.ha.mode == common::HaMode::Pair;
    out_.logLevel = config_.appliance.logLevel;
    out_.decision.nodeId = config_.ha.replication.nodeId;
    out_.peerHaAddress = config_.ha.replication.peerAddress;
    out_.haAddress = config_.ha.replication.address;
    out_.serviceAddress = config_.tserver.sipInterface;
    out_.stateDirectory = config_.appliance.dataDir + "/agent";
    if (!out_.pair) return finish();  // standalone: the agent's options are not used

    takeNetworkDefaults();
    bool probe = true;
    std::optional<bool> awareness;
    for (const auto& [name, option] : config_.ha.raw) {
      if (common::isLoaderHaOption(name)) continue;
      line_ = option.line;
      name_ = name;
      const std::string_view value = option.value;
      if (const auto timer = timerOptions().find(name); timer != timerOptions().end()) {
        const auto number = common::parseUnsigned(value, timer->second.min, timer->second.max);
        if (!number.value) {
          fail(number.reason);
        } else {
          out_.decision.*(timer->second.field) = Duration(*number.value);
        }
      } else if (name == "pair-key") {
        takePath(value, out_.pairKeyPath);
      } else if (name == "heartbeat-address") {
        takeAddress(value, out_.haAddress);
      } else if (name == "peer-service-address") {
        takeAddress(value, out_.peerServiceAddress);
      } else if (name == "witness") {
        takeAddress(value, out_.witness);
      } else if (name == "heartbeat-port") {
        const auto number = common::parseUnsigned(value, 1, 65535);
        if (!number.value) {
          fail(number.reason);
        } else {
          out_.heartbeatPort = static_cast<std::uint16_t>(*number.value);
        }
      } else if (name == "probe-awareness") {
        const auto on = common::parseBool(value);
        if (!on.value) {
          fail(on.reason);
        } else {
          awareness = *on.value;
        }
      } else if (name == "monitor-sources") {
        out_.monitorSources.clear();
        takeAddressList(value, out_.monitorSources);
      } else if (name == "service-probe") {
        const auto on = common::parseBool(value);
        if (!on.value) {
          fail(on.reason);
        } else {
          probe = *on.value;
        }
      } else {
        fail("unknown option");
      }
    }
    line_ = 0;
    checkRequired(probe);
    // The reference's monitor: every 1 s, timeout 4 s (its BIG-IP chapter).
    out_.probeAwareness = awareness.value_or(!out_.takeover);
    if (!out_.probeAwareness) {
      out_.decision.monitorTimeout = Duration(0);
    } else if (out_.decision.monitorTimeout.count() == 0) {
      out_.decision.monitorTimeout = Duration(4000);
    }
    if (out_.monitorSources.empty() && !out_.witness.empty()) {
      out_.monitorSources.push_back(out_.witness);
    }
    return finish();
  }

 private:
  // [network] (sipha-netcfg's section) already names the HA link, the peer's service address
  // and the gateway: the agent's defaults, so nothing is written twice.
  void takeNetworkDefaults() {
    if (!netcfg::hasNetworkSection(config_)) return;
    auto network = netcfg::parseNetworkConfig(config_);
    if (!network.config) {
      // sipha-netcfg refuses the same file with these; the agent cannot run on it either.
      for (auto& error : network.errors) errors_.push_back(std::move(error));
      return;
    }
    const auto& n = *network.config;
    out_.takeover = n.mode == netcfg::NetworkMode::Takeover;
    if (n.haAddress) out_.haAddress = n.haAddress->address;
    if (!n.peerServiceAddress.empty()) out_.peerServiceAddress = n.peerServiceAddress;
    if (!n.gateway.empty()) out_.witness = n.gateway;
    out_.monitorSources = n.bigipSelfIps;  // where the BIG-IP's monitor probes from
  }

  void checkRequired(bool probe) {
    if (out_.pairKeyPath.empty()) missing("ha.pair-key", "required with mode = pair");
    if (out_.peerHaAddress.empty()) {
      missing("ha.peer-address", "required with mode = pair: the peer's HA-link address");
    }
    if (out_.witness.empty()) {
      missing("ha.witness",
              "required with mode = pair (or [network] gateway): the BIG-IP self IP, or the "
              "gateway in takeover mode, that tells a node it is not the one cut off");
    }
    if (out_.haAddress.empty()) {
      missing("ha.heartbeat-address", "required: no replication-address or sip-interface");
    }
    if (probe) {
      // The peer's sip-interface answers OPTIONS only while its sipd is primary (a backup drops
      // UDP before parsing): what the BIG-IP's monitor sees, and reachable in both modes. In
      // takeover mode without peer-service-address, the VIP itself.
      const std::string& address = !out_.peerServiceAddress.empty() ? out_.peerServiceAddress
                                   : out_.takeover                  ? config_.tserver.sipAddress
                                                                    : out_.peerServiceAddress;
      if (!address.empty()) out_.probe = ServiceProbeTarget{address, config_.tserver.sipPort};
    }
    for (const auto& problem : validate(out_.decision)) missing("ha", problem);
  }

  void takePath(std::string_view value, std::string& into) {
    const auto path = common::parseAbsolutePath(value);
    if (!path.value) return fail(path.reason);
    into = *path.value;
  }

  void takeAddress(std::string_view value, std::string& into) {
    const auto address = common::parseIpAddress(value);
    if (!address.value) return fail(address.reason);
    into = *address.value;
  }

  void takeAddressList(std::string_view value, std::vector<std::string>& into) {
    while (!value.empty()) {
      const auto comma = value.find(',');
      std::string_view item = value.substr(0, comma);
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      const auto address = common::parseIpAddress(item);
      if (!address.value) return fail(address.reason);
      into.push_back(*address.value);
    }
  }

  void fail(std::string reason) {
    errors_.push_back({config_.path, line_, "ha." + name_, std::move(reason)});
  }

  void missing(std::string option, std::string reason) {
    const auto section = config_.ha.raw.find("mode");
    const int line = section == config_.ha.raw.end() ? 0 : section->second.line;
    errors_.push_back({config_.path, line, std::move(option), std::move(reason)});
  }

  AgentConfigResult finish() {
    AgentConfigResult result;
    result.errors = std::move(errors_);
    if (result.errors.empty()) result.config = std::move(out_);
    return result;
  }

  const common::Config& config_;
  AgentConfig out_;
  std::vector<ConfigError> errors_;
  int line_ = 0;
  std::string name_;
};

}  // namespace

AgentConfigResult parseAgentConfig(const common::Config& config) { return Parser(config).run(); }

}  // namespace sipha::agent
