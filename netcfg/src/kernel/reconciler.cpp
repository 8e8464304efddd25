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
    if (!applyChanges) {
      report.changes.push_back(action.describe());
      continue;
    }
    error = client.apply(action, report.observed);
    if (error.empty()) {
      report.changes.push_back(action.describe());
    } else {
      report.errors.push_back(std::move(error));
    }
  }
  return report;
}

}  // namespace

ReconcileReport reconcile(NetlinkClient& client, const DesiredState& desired) {
  return run(client, desired, true);
}

ReconcileReport dryRun(NetlinkClient& client, const DesiredState& desired) {
  return run(client, desired, false);
}

}  // namespace sipha::netcfg::kernel
