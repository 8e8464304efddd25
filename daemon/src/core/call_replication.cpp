// Calls and trunk health in the state stream (docs/replication.md): the primary publishes every
// change of a confirmed call's dialogs (with the SDP o= state sipd presents to each leg) and of a
// trunk contact's health; the backup holds calls as replicas — no Call object, no timer, nothing
// sent — and turns them into live calls at promotion, so they can be re-INVITEd, UPDATEd and
// hung up through the new primary.
#include <utility>

#include "common/log/log.hpp"
#include "core/call_manager.hpp"
#include "sdp/leg_state.hpp"

namespace sipha::core {

void CallManager::publishCallEvents(Slot& slot, b2bua::Output& out) {
  if (log_ == nullptr) return;
  for (b2bua::StateEvent& event : out.events) {
    replication::CallLegRecord record;
    if (event.kind == b2bua::StateEventKind::LegUpdated && slot.bodies &&
        event.leg != b2bua::LegId::Transfer) {
      const sdp::LegSdpState& state = slot.bodies->legState(event.leg);
      if (state.hasSent()) record.sdpState = state.serialize();
    }
    record.event = std::move(event);
    log_->publish(record);
  }
}

void CallManager::publishTrunk(const routing::HealthEvent& event) {
  if (log_ == nullptr) return;
  const auto age = wheel_.clock().now() - event.since;
  const std::int64_t nowUsec = now_() * 1000000;
  replication::TrunkRecord record;
  record.dn = std::string{event.dn};
  record.contact = std::string{event.contact};
  record.inService = event.state == routing::HealthState::InService;
  record.reason = static_cast<std::uint8_t>(event.reason);
  const std::int64_t ageUsec = std::chrono::duration_cast<std::chrono::microseconds>(age).count();
  record.sinceUsec = static_cast<std::uint64_t>(std::max<std::int64_t>(0, nowUsec - ageUsec));
  log_->publish(record);
}

void CallManager::snapshot(std::vector<replication::Record>& out,
                           std::uint64_t nowRealtimeUsec) const {
  for (const auto& [call, slot] : slots_) {
    if (call->ended()) continue;
    for (b2bua::StateEvent& event : call->snapshot()) {
      replication::CallLegRecord record;
      if (slot.bodies && event.leg != b2bua::LegId::Transfer) {
        const sdp::LegSdpState& state = slot.bodies->legState(event.leg);
        if (state.hasSent()) record.sdpState = state.serialize();
      }
      record.event = std::move(event);
      out.emplace_back(std::move(record));
    }
  }
  for (const auto& row : trunkRows(nowRealtimeUsec)) {
    const auto status = std::find_if(health_.statuses().begin(), health_.statuses().end(),
                                     [&](const routing::ContactStatus& s) {
                                       return s.dn == row.dn && s.contact == row.contact;
                                     });
    replication::TrunkRecord record;
    record.dn = row.dn;
    record.contact = row.contact;
    record.inService = row.state == routing::stateName(routing::HealthState::InService);
    record.reason =
        status == health_.statuses().end() ? 0 : static_cast<std::uint8_t>(status->reason);
    record.sinceUsec = row.sinceUsec;
    out.emplace_back(std::move(record));
  }
}

void CallManager::applyCallRecord(const replication::CallLegRecord& record) {
  const b2bua::StateEvent& event = record.event;
  if (event.kind == b2bua::StateEventKind::CallEnded) {
    replicas_.erase(event.callKey);
    return;
  }
  Replica& replica = replicas_[event.callKey];
  // The primary numbers each call's events from 1; a snapshot starts at the last two. A gap
  // within the ordered stream cannot happen; a replica that reports one is rebuilt from this
  // event on (it carries the leg's whole state).
  if (replica.calls.apply(event) == b2bua::CallReplica::ApplyResult::Gap) {
    replica.calls = b2bua::CallReplica{};
    replica.calls.apply(event);
  }
  if (event.leg != b2bua::LegId::Transfer) {
    replica.sdp[b2bua::legIndex(event.leg)] = record.sdpState;
  }
}

void CallManager::applyTrunkRecord(const replication::TrunkRecord& record) {
  health_.applyRemote(
      record.dn, record.contact,
      record.inService ? routing::HealthState::InService : routing::HealthState::OutOfService,
      static_cast<routing::HealthReason>(record.reason));
}

std::size_t CallManager::promoteReplicas() {
  std::size_t restored = 0;
  for (auto& [key, replica] : replicas_) {
    if (!replica.calls.complete()) continue;
    auto bodies = std::make_unique<SdpBodyTransform>(holdRfc3264_, counters_.sdpErrors);
    for (b2bua::LegId leg : {b2bua::LegId::Inbound, b2bua::LegId::Outbound}) {
      const std::string& text = replica.sdp[b2bua::legIndex(leg)];
      if (text.empty()) continue;
      if (auto state = sdp::LegSdpState::deserialize(text)) bodies->restoreLeg(leg, *state);
    }
    auto owned = b2bua::Call::restore(replica.calls, *callConfig_, ids_, bodies.get());
    if (!owned) continue;
    b2bua::Call* call = owned.get();
    if (table_.insert(std::move(owned)) == nullptr) {
      common::logWarning("replication: call ", key, " collides with a live call; not restored");
      continue;
    }
    Slot& slot = slots_[call];
    slot.serial = nextSerial_++;
    slot.started = wheel_.clock().now();
    slot.bodies = std::move(bodies);
    slot.answered = true;
    ++restored;
  }
  replicas_.clear();
  return restored;
}

void CallManager::dropAllCalls() {
  std::vector<b2bua::Call*> calls;
  calls.reserve(slots_.size());
  for (auto& [call, slot] : slots_) calls.push_back(const_cast<b2bua::Call*>(call));
  for (b2bua::Call* call : calls) {
    auto found = slots_.find(call);
    for (auto& byLeg : found->second.timers) {
      for (auto& handle : byLeg) wheel_.cancel(handle);
    }
    if (resolver_ != nullptr) resolver_->cancel(found->second.pendingDns);
    slots_.erase(found);
    table_.erase(call);
  }
  // Client records of the dropped calls would point at freed calls: forget them (their
  // transactions end on their own; an answer then matches no call).
  for (auto it = clients_.begin(); it != clients_.end();) {
    it = it->second.kind == ClientKind::Call ? clients_.erase(it) : std::next(it);
  }
}

}  // namespace sipha::core
