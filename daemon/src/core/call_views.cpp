// What the web UI sees of the calls and trunks (D-Bus GetCalls / GetTrunks, docs/calls.md).
#include <algorithm>
#include <chrono>
#include <utility>

#include "core/call_manager.hpp"
#include "core/realtime.hpp"

namespace sipha::core {

std::vector<TrunkRow> CallManager::trunkRows(std::uint64_t nowRealtimeUsec) const {
  const timer::TimePoint now = wheel_.clock().now();
  std::vector<TrunkRow> rows;
  for (const auto& status : health_.statuses()) {
    TrunkRow row;
    row.dn = std::string{status.dn};
    row.contact = std::string{status.contact};
    row.state = std::string{routing::stateName(status.state)};
    row.reason = std::string{routing::reasonName(status.reason)};
    row.sinceUsec = realtimeUsecOf(status.since, now, nowRealtimeUsec);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<CallRow> CallManager::callRows(std::uint64_t nowRealtimeUsec) const {
  const timer::TimePoint now = wheel_.clock().now();
  std::vector<std::pair<std::uint64_t, CallRow>> ordered;  // by serial: the order of arrival
  ordered.reserve(slots_.size());
  for (const auto& [call, slot] : slots_) {
    if (call->ended()) continue;  // leaving the table with this event
    CallRow row;
    row.callId = call->dialog(b2bua::LegId::Inbound).callId;
    row.state = std::string{b2bua::callStateName(call->state())};
    row.inbound = call->dialog(b2bua::LegId::Inbound).remoteUri;
    row.outbound = call->dialog(b2bua::LegId::Outbound).remoteUri;
    row.sinceUsec = realtimeUsecOf(slot.started, now, nowRealtimeUsec);
    ordered.emplace_back(slot.serial, std::move(row));
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<CallRow> rows;
  rows.reserve(ordered.size());
  for (auto& entry : ordered) rows.push_back(std::move(entry.second));
  return rows;
}

}  // namespace sipha::core
