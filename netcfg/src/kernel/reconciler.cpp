#include "kernel/reconciler.hpp"

#include "kernel/reconcile_plan.hpp"

namespace sipha::netcfg::kernel {
namespace {

ReconcileReport run(NetlinkClient& client, const DesiredState& desired, bool applyChanges) {
  ReconcileReport report;
  std::string error = client.read(report.observed);
  if (!error.empty()) {
    report.errors.push_back(std::move(error));
    return report;
  }
  Plan plan = planChanges(desired, report.observed);
  report.errors = std::move(plan.problems);
  for (const auto& action : plan.actions) {
    std::string refused = applyChanges ? client.apply(action, report.observed) : std::string{};
    if (refused.empty()) {
      report.changes.push_back(action.describe());
      report.applied.push_back(action);
    } else {
      report.errors.push_back(std::move(refused));
    }
  }
  return report;
}

}  // namespace

bool ReconcileReport::addedAddress(std::string_view purpose) const noexcept {
  for (const auto& action : applied) {
    if (action.kind == ActionKind::AddressAdd && action.purpose == purpose) return true;
  }
  return false;
}

ReconcileReport reconcile(NetlinkClient& client, const DesiredState& desired) {
  return run(client, desired, true);
}

ReconcileReport dryRun(NetlinkClient& client, const DesiredState& desired) {
  return run(client, desired, false);
}

}  // namespace sipha::netcfg::kernel
