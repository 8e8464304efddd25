#include "cli/commands.hpp"

#include <signal.h>
#include <systemd/sd-event.h>

#include <optional>
#include <string_view>
#include <utility>

#include "bigip/tmsh_export.hpp"
#include "common/config/config_loader.hpp"
#include "common/log/log.hpp"
#include "common/service/service_notifier.hpp"
#include "config/network_config.hpp"
#include "firewall/ruleset.hpp"
#include "kernel/desired_state.hpp"
#include "kernel/netlink_client.hpp"
#include "kernel/reconciler.hpp"
#include "service/netcfg_bus.hpp"
#include "service/netcfg_service.hpp"

namespace sipha::netcfg::cli {
namespace {

struct Loaded {
  common::Config config;
  NetworkConfig network;
};

std::optional<common::Config> loadFile(const std::string& path, std::ostream& err) {
  auto loaded = common::loadConfigFile(path);
  for (const auto& error : loaded.errors) err << error.toString() << "\n";
  return std::move(loaded.config);
}

std::optional<Loaded> parseNode(common::Config config, std::ostream& err) {
  auto network = parseNetworkConfig(config);
  for (const auto& error : network.errors) err << error.toString() << "\n";
  if (!network.config) return std::nullopt;
  return Loaded{std::move(config), std::move(*network.config)};
}

// Whether the VIP is on the service link now: `apply` leaves the role to the service and keeps
// the firewall's SNAT in step with what the kernel holds.
bool vipPresent(const Loaded& node, const kernel::ObservedState& observed) {
  const auto vip = kernel::vipAddress(node.config, node.network);
  if (!vip) return false;
  for (const auto& address : observed.addresses) {
    if (address.link == vip->link && address.prefix.address == vip->prefix.address) return true;
  }
  return false;
}

int onReload(sd_event_source*, const signalfd_siginfo*, void* userdata) noexcept {
  try {
    service::ApplyOutcome outcome;
    const auto result = static_cast<service::NetcfgService*>(userdata)->apply(outcome);
    if (!result.ok()) common::logWarning("reload: ", result.errorMessage);
  } catch (...) {
    common::logError("reload failed");
  }
  return 0;
}

// What apply and status share: load and validate the node, open netlink. Returns the exit code
// when the command ends here (refused file, no [network] section, netlink unavailable).
std::optional<int> prepareNode(const CommandLine& line, std::string_view unmanaged,
                               std::ostream& out, std::ostream& err, std::optional<Loaded>& node,
                               kernel::NetlinkClient& client) {
  auto config = loadFile(line.configPath, err);
  if (!config) return kExitRefused;
  if (!hasNetworkSection(*config)) {
    out << "no [network] section: " << unmanaged << "\n";
    return kExitOk;
  }
  node = parseNode(std::move(*config), err);
  if (!node) return kExitRefused;
  if (std::string error = client.open(); !error.empty()) {
    err << error << "\n";
    return kExitFailed;
  }
  return std::nullopt;
}

}  // namespace

int runApply(const CommandLine& line, std::ostream& out, std::ostream& err) {
  std::optional<Loaded> node;
  kernel::NetlinkClient client;
  if (auto done = prepareNode(line, "nothing to do", out, err, node, client)) return *done;
  const auto report =
      kernel::reconcile(client, kernel::desiredStateWithoutVip(node->config, node->network));
  for (const auto& change : report.changes) out << "changed: " << change << "\n";
  if (report.changes.empty()) out << "no changes\n";
  for (const auto& error : report.errors) err << "error: " << error << "\n";
  const bool holdsVip = vipPresent(*node, report.observed);
  const ApplyResult firewall = applyRuleset(buildRuleset(node->config, node->network, holdsVip));
  if (firewall.ok) {
    out << "firewall applied" << (holdsVip ? " (holding the VIP)" : "") << "\n";
  } else {
    err << "error: firewall: " << firewall.error << "\n";
  }
  return report.ok() && firewall.ok ? kExitOk : kExitFailed;
}

int runStatus(const CommandLine& line, std::ostream& out, std::ostream& err) {
  std::optional<Loaded> node;
  kernel::NetlinkClient client;
  if (auto done = prepareNode(line, "the network is not managed", out, err, node, client)) {
    return *done;
  }
  const auto report =
      kernel::dryRun(client, kernel::desiredStateWithoutVip(node->config, node->network));
  for (const auto& change : report.changes) out << "pending: " << change << "\n";
  for (const auto& error : report.errors) out << "problem: " << error << "\n";
  if (report.changes.empty() && report.ok()) out << "in sync\n";
  if (node->network.mode == NetworkMode::Takeover) {
    out << "vip: " << (vipPresent(*node, report.observed) ? "held" : "not held") << "\n";
  }
  return kExitOk;
}

int runBigipExport(const CommandLine& line, std::ostream& out, std::ostream& err) {
  auto node1 = loadFile(line.configPath, err);
  auto node2 = loadFile(line.peerConfigPath, err);
  if (!node1 || !node2) return kExitRefused;
  const PairCheck check = checkPair(*node1, *node2);
  for (const auto& error : check.errors) err << error << "\n";
  if (!check.errors.empty()) return kExitRefused;
  out << exportTmsh(*node1, *node2);
  return kExitOk;
}

int runCheck(const CommandLine& line, std::ostream& out, std::ostream& err) {
  auto node1 = loadFile(line.configPath, err);
  auto node2 = loadFile(line.peerConfigPath, err);
  if (!node1 || !node2) return kExitRefused;
  const PairCheck check = checkPair(*node1, *node2);
  for (const auto& error : check.errors) err << error << "\n";
  if (!check.errors.empty()) return kExitRefused;
  out << "pair consistent\n";
  return kExitOk;
}

int runServe(const CommandLine& line, std::ostream& err) {
  common::setLogIdentifier("sipha-netcfg");
  // No [network] section: serve unconfigured (the bus answers, SetRole is recorded, nothing is
  // reconciled) so that adding the section later and calling Apply takes effect.
  std::optional<Loaded> node;
  std::optional<common::Config> bare;
  auto config = loadFile(line.configPath, err);
  if (!config) return kExitRefused;
  if (!hasNetworkSection(*config)) {
    bare = std::move(config);
  } else {
    node = parseNode(std::move(*config), err);
    if (!node) return kExitRefused;
  }
  common::setLogLevel(bare ? bare->appliance.logLevel : node->config.appliance.logLevel);
  sd_event* event = nullptr;
  if (sd_event_default(&event) < 0) {
    common::logError("cannot create the event loop");
    return kExitFailed;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  // A NULL handler makes sd-event leave the loop on the signal (sd_event_add_signal(3)).
  sd_event_add_signal(event, nullptr, SIGTERM, nullptr, nullptr);
  sd_event_add_signal(event, nullptr, SIGINT, nullptr, nullptr);
  int code = kExitOk;
  {
    service::NetcfgService netcfg =
        bare ? service::NetcfgService{std::move(*bare)}
             : service::NetcfgService{std::move(node->config), std::move(node->network)};
    service::NetcfgBus bus{netcfg};
    common::ServiceNotifier notifier;
    if (std::string error = netcfg.start(event); !error.empty()) {
      common::logError("cannot start: ", error);
      code = kExitFailed;
    } else if (error = bus.start(event); !error.empty()) {
      common::logError(error);
      code = kExitFailed;
    } else {
      // SIGHUP (the unit's ExecReload) is the bus's Apply: re-read the file.
      sd_event_add_signal(event, nullptr, SIGHUP, &onReload, &netcfg);
      common::ServiceNotifier::enableWatchdog(event);
      netcfg.setStatusListener([&notifier](const std::string& text) { notifier.status(text); });
      notifier.ready();
      notifier.status(netcfg.configured() ? "backup"
                                          : "backup, unconfigured (no [network] section)");
      if (!netcfg.configured()) common::logNotice("no [network] section: nothing to do");
      common::logInfo("serving org.sipha.Netcfg1");
      if (sd_event_loop(event) < 0) code = kExitFailed;
      notifier.stopping();
    }
  }
  sd_event_unref(event);
  return code;
}

}  // namespace sipha::netcfg::cli
