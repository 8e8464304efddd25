#pragma once
// One reconciliation pass: read the kernel, plan the difference to the desired state, apply it
// action by action, report what changed. Running it twice in a row changes nothing the second
// time. Library code: the caller logs the report.
#include <string>
#include <string_view>
#include <vector>

#include "kernel/desired_state.hpp"
#include "kernel/netlink_client.hpp"
#include "kernel/reconcile_plan.hpp"

namespace sipha::netcfg::kernel {

struct ReconcileReport {
  std::vector<std::string> changes;  // Action::describe() of each change made
  std::vector<Action> applied;       // the same changes as data
  std::vector<std::string> errors;   // missing links, refused requests
  ObservedState observed;            // the kernel as read before the changes

  bool ok() const noexcept { return errors.empty(); }
  // True when an address of this purpose ("vip", "service", ...) was added.
  bool addedAddress(std::string_view purpose) const noexcept;
};

ReconcileReport reconcile(NetlinkClient& client, const DesiredState& desired);

// Reads the kernel and plans without applying: what `reconcile` would change (status).
ReconcileReport dryRun(NetlinkClient& client, const DesiredState& desired);

}  // namespace sipha::netcfg::kernel
