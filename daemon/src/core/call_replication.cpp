// Calls and trunk health in the state stream (docs/replication.md): the primary publishes every
// change of a confirmed call's dialogs (with the SDP o= state sipd presents to each leg) and of a
// trunk contact's health; the backup holds calls as replicas — no Call object, no timer, nothing
// sent — and turns them into live calls at promotion, so they can be re-INVITEd, UPDATEd and
// hung up through the new primary.
#include <utility>

#include "common/log/log.hpp"
#include "core/call_manager.hpp"
#include "core/realtime.hpp"
#include "core/transaction_view.hpp"
#include "sdp/leg_state.hpp"
#include "sip/parser.hpp"
#include "transport/peer_format.hpp"

namespace sipha::core {
namespace {

void restoreSdp(SdpBodyTransform& bodies, const std::string (&states)[2]) {
  for (b2bua::LegId leg : {b2bua::LegId::Inbound, b2bua::LegId::Outbound}) {
    const std::string& text = states[b2bua::legIndex(leg)];
    if (text.empty()) continue;
    if (auto state = sdp::LegSdpState::deserialize(text)) bodies.restoreLeg(leg, *state);
  }
}

}  // namespace

std::string CallManager::sdpStateOf(const Slot& slot, b2bua::LegId leg) const {
  if (!slot.bodies || leg == b2bua::LegId::Transfer) return {};
  const sdp::LegSdpState& state = slot.bodies->legState(leg);
  return state.hasSent() ? state.serialize() : std::string{};
}

replication::CallLegRecord CallManager::legRecord(const Slot& slot,
                                                  b2bua::StateEvent&& event) const {
  replication::CallLegRecord record;
  if (event.kind == b2bua::StateEventKind::LegUpdated)
    record.sdpState = sdpStateOf(slot, event.leg);
  record.event = std::move(event);
  return record;
}

std::optional<replication::EarlyCallRecord> CallManager::earlyRecord(const b2bua::Call& call,
                                                                     const Slot& slot) const {
  if (slot.source.empty()) return std::nullopt;
  auto early = call.early();
  if (!early) return std::nullopt;
  replication::EarlyCallRecord record;
  record.call = std::move(*early);
  record.call.source = slot.source;
  for (b2bua::LegId leg : {b2bua::LegId::Inbound, b2bua::LegId::Outbound}) {
    record.sdpState[b2bua::legIndex(leg)] = sdpStateOf(slot, leg);
  }
  return record;
}

void CallManager::publishCallEvents(const b2bua::Call* call, Slot& slot, b2bua::Output& out) {
  for (b2bua::StateEvent& event : out.events) {
    if (event.kind == b2bua::StateEventKind::LegUpdated) slot.legsPublished = true;
    log_->publish(legRecord(slot, std::move(event)));
  }
  // The first time the call rings (a provisional relayed to the caller): the backup keeps what
  // it needs to complete it after a switchover.
  if (!slot.earlyPublished && !slot.legsPublished && call->state() == b2bua::CallState::Early) {
    if (auto record = earlyRecord(*call, slot)) slot.earlyPublished = log_->publish(*record) != 0;
  }
}

// A call published while ringing that ends before its legs were: the backup forgets it.
void CallManager::publishEarlyEnd(const b2bua::Call* call, const Slot& slot) {
  if (log_ == nullptr || !slot.earlyPublished || slot.legsPublished) return;
  replication::CallLegRecord record;
  record.event.kind = b2bua::StateEventKind::CallEnded;
  record.event.callKey = call->callKey();
  log_->publish(record);
}

void CallManager::publishTrunk(const routing::HealthEvent& event) {
  if (log_ == nullptr) return;
  log_->publish(replication::TrunkRecord{
      std::string{event.dn}, std::string{event.contact},
      event.state == routing::HealthState::InService, static_cast<std::uint8_t>(event.reason),
      realtimeUsecOf(event.since, wheel_.clock().now(),
                     static_cast<std::uint64_t>(now_()) * 1000000u)});
}

void CallManager::snapshot(std::vector<replication::Record>& out,
                           std::uint64_t nowRealtimeUsec) const {
  for (const auto& [call, slot] : slots_) {
    if (call->ended()) continue;
    if (auto early = earlyRecord(*call, slot)) {
      out.emplace_back(std::move(*early));
      continue;
    }
    for (b2bua::StateEvent& event : call->snapshot()) {
      out.emplace_back(legRecord(slot, std::move(event)));
    }
  }
  const timer::TimePoint now = wheel_.clock().now();
  for (const routing::ContactStatus& status : health_.statuses()) {
    out.emplace_back(replication::TrunkRecord{std::string{status.dn}, std::string{status.contact},
                                              status.state == routing::HealthState::InService,
                                              static_cast<std::uint8_t>(status.reason),
                                              realtimeUsecOf(status.since, now, nowRealtimeUsec)});
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
  if (replica.early && replica.calls.complete()) {  // answered: the ringing state is spent
    replica.early.reset();
    replica.earlySdp[0] = std::string{};
    replica.earlySdp[1] = std::string{};
  }
}

void CallManager::applyEarlyCall(const replication::EarlyCallRecord& record) {
  Replica& replica = replicas_[record.call.callKey];
  replica.early = record.call;
  replica.earlySdp[0] = record.sdpState[0];
  replica.earlySdp[1] = record.sdpState[1];
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
    if (!replica.calls.complete()) {
      if (replica.early && restoreEarly(key, *replica.early, replica.earlySdp)) ++restored;
      continue;
    }
    auto bodies = std::make_unique<SdpBodyTransform>(holdRfc3264_, counters_.sdpErrors);
    restoreSdp(*bodies, replica.sdp);
    auto owned = b2bua::Call::restore(replica.calls, *callConfig_, ids_, bodies.get());
    if (!owned) continue;
    b2bua::Call* call = owned.get();
    if (table_.insert(std::move(owned)) == nullptr) {
      common::logWarning("replication: call ", key, " collides with a live call; not restored");
      continue;
    }
    Slot& slot = addSlot(call, std::move(bodies));
    slot.answered = true;
    slot.legsPublished = true;
    ++restored;
  }
  replicas_.clear();
  return restored;
}

// A ringing call: the caller's INVITE gets a server transaction here (the old primary's is
// gone), so the callee's answer, arriving through the service address, completes the call and
// the caller's CANCEL finds its INVITE.
bool CallManager::restoreEarly(const std::string& key, const b2bua::EarlyCall& early,
                               const std::string (&sdp)[2]) {
  transport::Peer from;
  auto parsed = sip::parseMessage(std::string{early.invite});
  if (!parsed.ok() || !transport::parsePeer(early.source, from)) {
    common::logWarning("replication: ringing call ", key,
                       " cannot be restored (bad INVITE or "
                       "source)");
    return false;
  }
  from.connectionId = 0;  // the old node's connection is gone
  std::unique_ptr<sip::Message> invite = std::move(parsed.message);
  const transaction::RequestOutcome outcome =
      transactions_.receiveRequest(transactionView(*invite, from, {}));
  if (outcome.disposition != transaction::RequestDisposition::NewTransaction ||
      outcome.transaction == nullptr) {
    return false;
  }
  auto bodies = std::make_unique<SdpBodyTransform>(holdRfc3264_, counters_.sdpErrors);
  restoreSdp(*bodies, sdp);
  OutputLease lease(*this);
  b2bua::Output& out = lease.out;
  auto owned = b2bua::Call::restoreEarly(early, std::move(invite), serverRef(*outcome.transaction),
                                         *callConfig_, ids_, bodies.get(), out);
  if (!owned) return false;
  b2bua::Call* call = owned.get();
  if (table_.insert(std::move(owned)) == nullptr) return false;
  Slot& slot = addSlot(call, std::move(bodies));
  slot.source = early.source;
  slot.earlyPublished = true;  // the new backup gets it in its snapshot
  execute(call, out);          // the no-answer timer
  return true;
}

void CallManager::dropAllCalls() {
  for (auto& [call, slot] : slots_) {
    releaseSlot(slot);
    table_.erase(call);
  }
  slots_.clear();
  // Client records of the dropped calls would point at freed calls: forget them (their
  // transactions end on their own; an answer then matches no call).
  for (auto it = clients_.begin(); it != clients_.end();) {
    it = it->second.kind == ClientKind::Call ? clients_.erase(it) : std::next(it);
  }
}

}  // namespace sipha::core
