#pragma once
// What `sipha-netcfg serve` does, without the bus: keeps the kernel's network equal to the
// desired state for the node's role, holds the VIP while primary in takeover mode, applies the
// firewall, and puts back what someone removes (docs/network.md, "The service").
// Runs on one sd-event loop; every method is called from that loop's thread.
#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/config/config.hpp"
#include "common/dbus/call_result.hpp"
#include "common/ha/role.hpp"
#include "config/network_config.hpp"
#include "kernel/desired_state.hpp"
#include "kernel/netlink_client.hpp"
#include "kernel/netlink_watch.hpp"
#include "kernel/reconciler.hpp"
#include "takeover/announcer.hpp"

namespace sipha::netcfg::service {

struct ApplyOutcome {
  std::vector<std::string> changes;  // kernel changes made ("address ... added on eth0")
  std::vector<std::string> errors;   // what failed (missing link, refused request, nft error)
  bool ok() const noexcept { return errors.empty(); }
};

class NetcfgService {
 public:
  NetcfgService(common::Config config, NetworkConfig network);
  // No [network] section: unconfigured. Nothing is reconciled, no firewall is applied (the
  // image's base ruleset stays), SetRole is recorded but no VIP is held; Apply re-reads the file.
  explicit NetcfgService(common::Config config);
  ~NetcfgService();
  NetcfgService(const NetcfgService&) = delete;
  NetcfgService& operator=(const NetcfgService&) = delete;

  // Opens netlink, subscribes to its notifications on `event`, and converges as backup (a node
  // starts as backup: the VIP is removed if a previous run left it). Empty string: started.
  std::string start(sd_event* event);

  // Re-reads the configuration file (a refused file keeps the running one and answers
  // ConfigInvalid), reconciles and re-applies the firewall.
  common::CallResult apply(ApplyOutcome& outcome);

  // The agent's order. A lower epoch than the current one is refused (StaleEpoch), like sipd.
  // primary in takeover mode: VIP added, announced, firewall with SNAT; backup: VIP removed
  // (also one this run never added). Idempotent: a repeated order changes no address and leaves
  // the firewall alone when its ruleset is the one applied; only SetRole(primary) while holding
  // the VIP announces it again (a full burst: the agent sends it after a partition healed).
  common::CallResult setRole(common::Role role, std::uint64_t epoch, ApplyOutcome& outcome);

  // A JSON object: mode, role, epoch, holdsVip, in-sync state, counters, last apply
  // (docs/network.md).
  std::string statusJson();

  // Called after every SetRole/Apply with a one-line summary ("primary, holding the VIP",
  // "backup, 1 error"): serve passes it to sd_notify STATUS=.
  void setStatusListener(std::function<void(const std::string&)> listener) {
    statusListener_ = std::move(listener);
  }

  common::Role role() const noexcept { return role_; }
  std::uint64_t epoch() const noexcept { return epoch_; }
  bool holdsVip() const noexcept;
  bool configured() const noexcept { return configured_; }
  std::uint64_t restores() const noexcept { return restores_; }

 private:
  enum class Firewall : std::uint8_t {
    Apply,      // build and apply the ruleset (start, Apply)
    IfChanged,  // only when it differs from the one last applied (SetRole)
    Leave,      // not touched (repairs after netlink notifications)
  };
  ApplyOutcome converge(Firewall firewall, bool announceAgain);
  // While the VIP is held: starts a series of announcements when the VIP was just added, when
  // asked (announceAgain), or when the link's address or the announce options changed.
  void announceVip(const kernel::ReconcileReport& report, bool announceAgain,
                   ApplyOutcome& outcome);
  void onNetlinkEvent(kernel::NetlinkEvent event) noexcept;
  static int onRestoreTimer(sd_event_source* source, std::uint64_t usec, void* userdata) noexcept;
  void restore() noexcept;
  void announceStatus() const;

  common::Config config_;
  NetworkConfig network_;
  bool configured_ = true;  // false: the file has no [network] section
  common::Role role_ = common::Role::Backup;
  std::uint64_t epoch_ = 0;
  sd_event* event_ = nullptr;
  kernel::NetlinkClient client_;
  kernel::NetlinkWatch watch_;
  takeover::Announcer announcer_;
  // What the running series announces (unset: none, the VIP is not held).
  std::optional<std::pair<takeover::AnnounceTarget, takeover::AnnounceSchedule>> announced_;
  sd_event_source* restoreTimer_ = nullptr;      // debounces bursts of netlink notifications
  std::vector<kernel::DesiredAddress> retired_;  // old VIPs after a reload, removed next pass
  ApplyOutcome last_;
  std::string firewallError_;   // empty: the ruleset in the kernel is the current one
  std::string appliedRuleset_;  // the script the kernel took last (empty: none or refused)
  std::function<void(const std::string&)> statusListener_;
  std::uint64_t restores_ = 0;       // reconciliations triggered by the kernel that changed things
  std::uint64_t netlinkEvents_ = 0;  // notifications that woke the watch
  std::uint64_t overruns_ = 0;       // notification losses (ENOBUFS)
};

}  // namespace sipha::netcfg::service
