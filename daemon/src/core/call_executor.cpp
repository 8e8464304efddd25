// The executor of a call's actions (docs/calls.md): what a b2bua::Call asks for — requests as
// client transactions, responses on its server transactions, timers on the wheel, trunk health
// reports, the end of the call — done in order. Live calls and calls restored from the state
// stream after a switchover (call_replication.cpp) run through this same code; the call's
// replication events are published before its actions run (docs/replication.md).
#include "common/log/log.hpp"
#include "core/call_manager.hpp"

namespace sipha::core {

using b2bua::ActionKind;

void CallManager::execute(b2bua::Call* call, b2bua::Output& out) {
  auto found = slots_.find(call);
  if (found == slots_.end()) return;
  Slot& slot = found->second;
  const std::uint64_t serial = slot.serial;
  if (log_ != nullptr) publishCallEvents(call, slot, out);
  std::vector<b2bua::ClientRef> failed;
  std::string referTo;       // a RouteTransfer's Refer-To (empty: none)
  bool transferred = false;  // TransferCompleted: an attended transfer's replaced call may end
  bool ended = false;
  for (auto& action : out.actions) {
    switch (action.kind) {
      case ActionKind::SendRequest:
        sendRequest(call, slot, action, failed);
        break;
      case ActionKind::SendResponse:
        sendResponse(slot, action);
        break;
      case ActionKind::StartTimer:
        startTimer(call, slot, action);
        break;
      case ActionKind::CancelTimer:
        wheel_.cancel(
            slot.timers[static_cast<int>(action.timer.kind)][b2bua::legIndex(action.timer.leg)]);
        break;
      case ActionKind::TargetFailed: {
        ++counters_.targetFailures;
        const auto& targets =
            action.leg == b2bua::LegId::Transfer ? slot.transferTargets : slot.targets;
        if (action.targetIndex < targets.size()) {
          health_.callResult(targets[action.targetIndex], action.status);
        }
        break;
      }
      case ActionKind::CallEnded:
        ended = true;
        break;
      case ActionKind::RouteTransfer:
        referTo = std::move(action.bytes);  // routed below, once this output is executed
        break;
      case ActionKind::TransferCompleted:
        transferred = true;
        break;
      case ActionKind::KeysChanged:
        if (!table_.refresh(call)) {
          common::logWarning("calls: a transfer leg's Call-ID collides with another call");
        }
        break;
    }
  }
  // Requests that could not even start (no route to the next hop, table full, send failed)
  // are reported to the call as timeouts, one after the other.
  for (const auto& ref : failed) {
    if (ended || slotOf(call, serial) == nullptr) break;
    OutputLease lease(*this);
    b2bua::Output& again = lease.out;
    call->onClientTimeout(ref, again);
    execute(call, again);
  }
  if (!referTo.empty() && !ended && slotOf(call, serial) != nullptr) {
    routeTransfer(call, serial, referTo);
  }
  if (transferred) endReplaced(call, serial);
  if (ended && slotOf(call, serial) != nullptr) endCall(call);
}

void CallManager::sendResponse(Slot& slot, b2bua::Action& action) {
  const auto found = servers_.find(action.server);
  if (found == servers_.end()) {
    ++counters_.lostServer;
    return;
  }
  // The caller's INVITE answered 2xx: once per call (not its 2xx retransmissions, not
  // re-INVITEs), and not the 200 to a CANCEL, PRACK or UPDATE while ringing.
  if (!slot.answered && action.leg == b2bua::LegId::Inbound && action.status >= 200 &&
      action.status < 300 && found->second->method() == sip::Method::Invite) {
    slot.answered = true;
    ++counters_.answered;
  }
  countResponse(coreCounters_, action.status);
  found->second->respond(action.status, std::move(action.bytes));
}

void CallManager::startTimer(b2bua::Call* call, Slot& slot, const b2bua::Action& action) {
  const int kind = static_cast<int>(action.timer.kind);
  const std::size_t leg = b2bua::legIndex(action.timer.leg);
  timer::TimerHandle& handle = slot.timers[kind][leg];
  wheel_.cancel(handle);
  // serial | kind (2 bits) | leg slot (2 bits)
  const std::uint64_t key = (slot.serial << 4) | (static_cast<std::uint64_t>(kind) << 2) | leg;
  handle = wheel_.schedule(timer::Duration{action.delay.count()},
                           [this, call, key] { fireTimer(call, key); });
}

void CallManager::fireTimer(b2bua::Call* call, std::uint64_t key) {
  if (slotOf(call, key >> 4) == nullptr) return;
  b2bua::TimerId id;
  id.kind = static_cast<b2bua::TimerKind>((key >> 2) & 3);
  id.leg = static_cast<b2bua::LegId>(key & 3);
  OutputLease lease(*this);
  b2bua::Output& out = lease.out;
  call->onTimer(id, out);
  execute(call, out);
}

void CallManager::endCall(b2bua::Call* call) {
  auto found = slots_.find(call);
  if (found != slots_.end()) {
    publishEarlyEnd(call, found->second);
    releaseSlot(found->second);
    slots_.erase(found);
  }
  ++counters_.ended;
  if (call->finalStatus() >= 300) ++counters_.failed;
  table_.erase(call);  // a call that ended during start() is not in the table
}

}  // namespace sipha::core
