#include "service/netcfg_service.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <ctime>
#include <iterator>
#include <sstream>
#include <utility>

#include "common/config/config_loader.hpp"
#include "common/log/log.hpp"
#include "firewall/ruleset.hpp"
#include "kernel/desired_state.hpp"
#include "service/netcfg_bus_names.hpp"

namespace sipha::netcfg::service {
namespace {

// Notifications come in bursts (a link going down removes its addresses and routes one by one):
// one reconciliation after the burst.
constexpr std::uint64_t kRestoreDelayUsec = 20'000;

std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += "\n";
    out += line;
  }
  return out;
}

}  // namespace

NetcfgService::NetcfgService(common::Config config, NetworkConfig network)
    : config_(std::move(config)),
      network_(std::move(network)),
      watch_([this](kernel::NetlinkEvent event) { onNetlinkEvent(event); }) {}

NetcfgService::NetcfgService(common::Config config)
    : NetcfgService(std::move(config), NetworkConfig{}) {
  configured_ = false;
}

NetcfgService::~NetcfgService() {
  restoreTimer_ = sd_event_source_disable_unref(restoreTimer_);
  watch_.stop();
  announcer_.stop();
  event_ = sd_event_unref(event_);
}

bool NetcfgService::holdsVip() const noexcept {
  return configured_ && network_.mode == NetworkMode::Takeover && role_ == common::Role::Primary;
}

std::string NetcfgService::start(sd_event* event) {
  event_ = sd_event_ref(event);
  std::string error = client_.open();
  if (!error.empty()) return error;
  error = watch_.start(event);
  if (!error.empty()) return error;
  last_ = converge(Firewall::Apply, false);
  return {};
}

ApplyOutcome NetcfgService::converge(Firewall firewall, bool announceAgain) {
  ApplyOutcome outcome;
  if (!configured_) {
    announcer_.stop();
    announced_.reset();
    return outcome;
  }
  const bool vip = holdsVip();
  // The firewall first: the DNAT of the VIP to sip-interface must exist before the VIP does. A
  // packet that arrived in between made a conntrack entry without NAT, and every later packet
  // of that flow (a phone sending from its 5060) followed it to nobody (found by the failover
  // benchmark).
  if (firewall != Firewall::Leave) {
    std::string script = buildRuleset(config_, network_, vip);
    if (firewall == Firewall::Apply || script != appliedRuleset_ || !firewallError_.empty()) {
      const ApplyResult applied = applyRuleset(script);
      firewallError_ = applied.ok ? std::string{} : applied.error;
      appliedRuleset_ = applied.ok ? std::move(script) : std::string{};
      if (!applied.ok) outcome.errors.push_back("firewall: " + applied.error);
    }
  }
  kernel::DesiredState desired = kernel::desiredState(config_, network_, vip);
  for (const auto& address : retired_) desired.absentAddresses.push_back(address);
  kernel::ReconcileReport report = kernel::reconcile(client_, desired);
  if (report.ok()) retired_.clear();
  outcome.changes = std::move(report.changes);
  outcome.errors.insert(outcome.errors.end(), std::make_move_iterator(report.errors.begin()),
                        std::make_move_iterator(report.errors.end()));
  for (const auto& change : outcome.changes) common::logInfo("changed: ", change);
  if (vip) {
    announceVip(report, announceAgain, outcome);
  } else {
    announcer_.stop();
    announced_.reset();
  }
  for (const auto& error : outcome.errors) common::logWarning("apply: ", error);
  return outcome;
}

void NetcfgService::announceVip(const kernel::ReconcileReport& report, bool announceAgain,
                                ApplyOutcome& outcome) {
  const auto address = kernel::vipAddress(config_, network_);
  const kernel::ObservedLink* link = report.observed.findLink(network_.serviceLink);
  if (!address || link == nullptr) return;  // the missing link is among the errors
  const bool added = report.addedAddress("vip");
  // `observed` is the kernel before this pass: the VIP was there already with its prefix length
  // (one with another length was replaced, which counts as added).
  const bool present =
      added || std::any_of(report.observed.addresses.begin(), report.observed.addresses.end(),
                           [&](const kernel::ObservedAddress& current) {
                             return current.link == address->link &&
                                    current.prefix.address == address->prefix.address &&
                                    current.prefix.length == address->prefix.length;
                           });
  if (!present) return;  // the kernel refused to add it: among the errors, the next pass retries
  const takeover::AnnounceTarget target{link->index, link->mac, address->prefix.address};
  const takeover::AnnounceSchedule schedule{network_.announceCount, network_.announceIntervalMs,
                                            network_.announceRefreshS};
  const char* why = nullptr;
  if (added) {
    why = "added";  // RFC 5227 section 2.3 / RFC 4861 section 7.2.6: it moved here
  } else if (announceAgain) {
    why = "SetRole(primary)";  // e.g. a partition healed: neighbours may know the peer's MAC
  } else if (!announced_ || announced_->first != target) {
    why = "link address changed";  // the running series would announce the old MAC
  } else if (announced_->second != schedule) {
    why = "announce options changed";
  } else {
    return;  // the running series (its refreshes) goes on
  }
  common::logInfo("announcing ", address->prefix.address, " on ", network_.serviceLink, " (", why,
                  ")");
  std::string error = announcer_.start(event_, target, schedule);
  announced_.emplace(target, schedule);
  if (!error.empty())
    outcome.errors.push_back("announce " + address->prefix.address + ": " + error);
}

common::CallResult NetcfgService::apply(ApplyOutcome& outcome) {
  auto loaded = common::loadConfigFile(config_.path);
  std::vector<common::ConfigError> errors = std::move(loaded.errors);
  std::optional<NetworkConfig> network;
  if (loaded.config && !hasNetworkSection(*loaded.config)) {
    // No [network] section (any more): unconfigured. A VIP held until now is not removed
    // here: nothing is reconciled without a [network] section.
    common::logNotice("no [network] section: nothing to do");
    config_ = std::move(*loaded.config);
    network_ = NetworkConfig{};
    configured_ = false;
    retired_.clear();
    outcome = last_ = converge(Firewall::Apply, false);
    announceStatus();
    return common::CallResult::success();
  }
  if (loaded.config) {
    auto parsed = parseNetworkConfig(*loaded.config);
    errors = std::move(parsed.errors);
    network = std::move(parsed.config);
  }
  if (!network) {
    std::vector<std::string> lines;
    for (const auto& error : errors) lines.push_back(error.toString());
    common::logWarning("configuration refused, keeping the running one: ", joinLines(lines));
    return common::CallResult::failure(common::dbus::kErrorConfigInvalid, joinLines(lines));
  }
  // The VIP's address or link may have changed: the old one goes when the new one comes.
  const auto oldVip = configured_ ? kernel::vipAddress(config_, network_) : std::nullopt;
  config_ = std::move(*loaded.config);
  network_ = std::move(*network);
  configured_ = true;
  const auto newVip = kernel::vipAddress(config_, network_);
  if (oldVip && (!newVip || newVip->prefix.address != oldVip->prefix.address ||
                 newVip->link != oldVip->link)) {
    retired_.push_back(*oldVip);
  }
  outcome = last_ = converge(Firewall::Apply, false);
  announceStatus();
  if (!outcome.ok()) {
    return common::CallResult::failure(kErrorApplyFailed, joinLines(outcome.errors));
  }
  return common::CallResult::success();
}

void NetcfgService::announceStatus() const {
  if (!statusListener_) return;
  std::string text{common::roleName(role_)};
  if (!configured_) text += ", unconfigured (no [network] section)";
  if (holdsVip()) text += ", holding the VIP";
  if (!last_.ok()) text += ", " + std::to_string(last_.errors.size()) + " error(s)";
  statusListener_(text);
}

common::CallResult NetcfgService::setRole(common::Role role, std::uint64_t epoch,
                                          ApplyOutcome& outcome) {
  if (epoch < epoch_) {
    return common::CallResult::failure(
        common::dbus::kErrorStaleEpoch,
        "epoch " + std::to_string(epoch) + " is older than " + std::to_string(epoch_));
  }
  const bool changed = role != role_;
  role_ = role;
  epoch_ = epoch;
  if (changed) {
    common::logNotice("role ", common::roleName(role), " at epoch ", epoch);
  }
  // The same order again changes nothing but the announcement: SetRole(primary) re-announces.
  outcome = last_ = converge(Firewall::IfChanged, role == common::Role::Primary);
  announceStatus();
  if (!outcome.ok()) {
    return common::CallResult::failure(kErrorApplyFailed, joinLines(outcome.errors));
  }
  return common::CallResult::success();
}

void NetcfgService::onNetlinkEvent(kernel::NetlinkEvent event) noexcept {
  ++netlinkEvents_;
  if (event == kernel::NetlinkEvent::Overrun) ++overruns_;
  if (restoreTimer_ != nullptr || event_ == nullptr) return;
  if (sd_event_add_time_relative(event_, &restoreTimer_, CLOCK_MONOTONIC, kRestoreDelayUsec, 0,
                                 &NetcfgService::onRestoreTimer, this) < 0) {
    restoreTimer_ = nullptr;
  }
}

int NetcfgService::onRestoreTimer(sd_event_source*, std::uint64_t, void* userdata) noexcept {
  auto* self = static_cast<NetcfgService*>(userdata);
  self->restoreTimer_ = sd_event_source_disable_unref(self->restoreTimer_);
  self->restore();
  return 0;
}

void NetcfgService::restore() noexcept {
  try {
    ApplyOutcome outcome = converge(Firewall::Leave, false);
    if (!outcome.changes.empty()) {
      ++restores_;
      common::logNotice("put back what the kernel lost: ", joinLines(outcome.changes));
    }
  } catch (...) {
    // Out of memory while building strings: the next notification tries again.
  }
}

std::string NetcfgService::statusJson() {
  // One shape for both states (Poco::JSON, keys in this order); unconfigured: nothing managed.
  const bool vip = configured_ && holdsVip();
  kernel::ReconcileReport pending;
  std::string vipText;
  std::string mode = "unconfigured";
  std::string firewall = "not managed";
  if (configured_) {
    pending = kernel::dryRun(client_, kernel::desiredState(config_, network_, vip));
    if (const auto address = kernel::vipAddress(config_, network_)) {
      vipText = address->prefix.address;
    }
    mode = network_.mode == NetworkMode::Takeover ? "takeover" : "bigip";
    firewall = firewallError_.empty() ? "applied" : firewallError_;
  }
  const auto array = [](const std::vector<std::string>& items) {
    Poco::JSON::Array out;
    for (const auto& item : items) out.add(item);
    return out;
  };
  const std::vector<std::string> none;
  Poco::JSON::Object status(Poco::JSON_PRESERVE_KEY_ORDER);
  status.set("mode", mode);
  status.set("role", std::string{common::roleName(role_)});
  status.set("epoch", epoch_);
  status.set("holdsVip", vip);
  status.set("vip", vipText);
  status.set("serviceLink", configured_ ? network_.serviceLink : std::string{});
  status.set("inSync", !configured_ || (pending.changes.empty() && pending.ok()));
  status.set("pending", array(pending.changes));
  status.set("problems", array(pending.errors));
  status.set("lastChanges", array(configured_ ? last_.changes : none));
  status.set("lastErrors", array(configured_ ? last_.errors : none));
  status.set("firewall", firewall);
  status.set("restores", restores_);
  status.set("netlinkEvents", netlinkEvents_);
  status.set("netlinkOverruns", overruns_);
  status.set("announcements", announcer_.sent());
  status.set("announceFailures", announcer_.failed());
  std::ostringstream out;
  status.stringify(out);
  return out.str();
}

}  // namespace sipha::netcfg::service
