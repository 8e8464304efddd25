// Calls and trunk health in the state stream (docs/replication.md): the primary publishes every
// change of a confirmed call's dialogs (with the SDP o= state sipd presents to each leg) and of a
// trunk contact's health; the backup holds calls as replicas — no Call object, no timer, nothing
// sent — and turns them into live calls at promotion, so they can be re-INVITEd, UPDATEd and
// hung up through the new primary.
#include <charconv>
#include <utility>

#include "common/log/log.hpp"
#include "core/call_manager.hpp"
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

// "udp:192.0.2.1:5060", "tcp:[2001:db8::1]:5060#7" (transport::formatPeer) -> a Peer by address.
bool parsePeerText(std::string_view text, transport::Peer& peer) {
  transport::TransportKind kind = transport::TransportKind::Udp;
  if (text.starts_with("tcp:")) {
    kind = transport::TransportKind::Tcp;
  } else if (text.starts_with("tls:")) {
    kind = transport::TransportKind::Tls;
  } else if (!text.starts_with("udp:")) {
    return false;
  }
  text.remove_prefix(4);
  text = text.substr(0, text.find('#'));  // the old node's connection is gone
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::uint16_t port = 0;
  const std::string_view digits = text.substr(colon + 1);
  if (std::from_chars(digits.data(), digits.data() + digits.size(), port).ec != std::errc{}) {
    return false;
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return transport::makePeer(kind, host, port, peer);
}

}  // namespace

void CallManager::publishCallEvents(const b2bua::Call* call, Slot& slot, b2bua::Output& out) {
  for (b2bua::StateEvent& event : out.events) {
    replication::CallLegRecord record;
    if (event.kind == b2bua::StateEventKind::LegUpdated && slot.bodies &&
        event.leg != b2bua::LegId::Transfer) {
      const sdp::LegSdpState& state = slot.bodies->legState(event.leg);
      if (state.hasSent()) record.sdpState = state.serialize();
    }
    if (event.kind == b2bua::StateEventKind::LegUpdated) slot.legsPublished = true;
    record.event = std::move(event);
    log_->publish(record);
  }
  // The first time the call rings (a provisional relayed to the caller): the backup keeps what
  // it needs to complete it after a switchover.
  if (!slot.earlyPublished && !slot.legsPublished && call->state() == b2bua::CallState::Early) {
    if (auto early = call->early()) {
      replication::EarlyCallRecord record;
      record.call = std::move(*early);
      record.call.source = slot.source;
      if (slot.bodies) {
        for (b2bua::LegId leg : {b2bua::LegId::Inbound, b2bua::LegId::Outbound}) {
          const sdp::LegSdpState& state = slot.bodies->legState(leg);
          if (state.hasSent()) record.sdpState[b2bua::legIndex(leg)] = state.serialize();
        }
      }
      slot.earlyPublished = log_->publish(record) != 0;
    }
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
    if (auto early = call->early(); early && !slot.source.empty()) {
      replication::EarlyCallRecord record;
      record.call = std::move(*early);
      record.call.source = slot.source;
      out.emplace_back(std::move(record));
      continue;
    }
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
    Slot& slot = slots_[call];
    slot.serial = nextSerial_++;
    slot.started = wheel_.clock().now();
    slot.bodies = std::move(bodies);
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
  if (!parsed.ok() || !parsePeerText(early.source, from)) {
    common::logWarning("replication: ringing call ", key,
                       " cannot be restored (bad INVITE or "
                       "source)");
    return false;
  }
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
  Slot& slot = slots_[call];
  slot.serial = nextSerial_++;
  slot.started = wheel_.clock().now();
  slot.bodies = std::move(bodies);
  slot.source = early.source;
  slot.earlyPublished = true;  // the new backup gets it in its snapshot
  execute(call, out);          // the no-answer timer
  return true;
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
