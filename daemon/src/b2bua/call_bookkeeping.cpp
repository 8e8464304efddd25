// Call: pending transactions, timers, the end of the call and its replication events.
#include <algorithm>
#include <utility>

#include "b2bua/call.hpp"

namespace sipha::b2bua {
namespace {

constexpr std::size_t kindIndex(TimerKind kind) noexcept { return static_cast<std::size_t>(kind); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Bookkeeping

const Call::Leg& Call::leg(LegId id) const noexcept {
  if (id != LegId::Transfer) return legs_[legIndex(id)];
  static const Leg kNone;  // no transfer yet: an empty slot
  return transferSlot_ ? *transferSlot_ : kNone;
}

Call::Leg& Call::transferLeg() {
  if (!transferSlot_) transferSlot_ = std::make_unique<Leg>();
  return *transferSlot_;
}

Call::PendingServer* Call::findServer(LegId on, std::uint32_t id) noexcept {
  for (PendingServer& server : leg(on).servers) {
    if (server.id == id) return &server;
  }
  return nullptr;
}

void Call::eraseServer(LegId on, std::uint32_t id) noexcept {
  std::erase_if(leg(on).servers, [id](const PendingServer& s) { return s.id == id; });
}

std::vector<Call::PendingClient>::iterator Call::findClient(LegId on, std::uint32_t cseq,
                                                            sip::Method method) noexcept {
  auto& clients = leg(on).clients;
  return std::find_if(clients.begin(), clients.end(),
                      [&](const PendingClient& c) { return c.cseq == cseq && c.method == method; });
}

void Call::startTimer(TimerKind kind, LegId on, Duration delay, Output& out) {
  armed_[kindIndex(kind)][legIndex(on)] = true;
  Action a;
  a.kind = ActionKind::StartTimer;
  a.leg = on;
  a.timer = TimerId{kind, on};
  a.delay = delay;
  out.actions.push_back(std::move(a));
}

void Call::cancelTimer(TimerKind kind, LegId on, Output& out) {
  bool& armed = armed_[kindIndex(kind)][legIndex(on)];
  if (!armed) return;
  armed = false;
  Action a;
  a.kind = ActionKind::CancelTimer;
  a.leg = on;
  a.timer = TimerId{kind, on};
  out.actions.push_back(std::move(a));
}

// 13.3.1.4: T1, doubling to T2, until the ACK or 64*T1.
void Call::start2xxRetransmission(LegId on, std::uint32_t cseq, ServerRef server, std::string bytes,
                                  std::uint16_t status, Output& out) {
  Await2xxAck& await = leg(on).await;
  await.active = true;
  await.cseq = cseq;
  await.server = server;
  await.bytes = std::move(bytes);
  await.status = status;
  await.interval = config_.t1;
  startTimer(TimerKind::Retransmit2xx, on, config_.t1, out);
  startTimer(TimerKind::AckTimeout, on, config_.t1 * 64, out);
}

void Call::stop2xxRetransmission(LegId on, Output& out) {
  Await2xxAck& await = leg(on).await;
  if (!await.active) return;
  await.active = false;
  await.bytes.clear();
  await.bytes.shrink_to_fit();  // a confirmed call may last hours: give the 2xx's memory back
  cancelTimer(TimerKind::Retransmit2xx, on, out);
  cancelTimer(TimerKind::AckTimeout, on, out);
}

void Call::confirm() {
  state_ = CallState::Confirmed;
  replicating_ = true;
  // The INVITE's bookkeeping is done: an established call keeps only what it needs.
  for (Leg& l : legs_) {
    if (l.servers.empty()) l.servers.shrink_to_fit();
    if (l.clients.empty()) l.clients.shrink_to_fit();
  }
  markDirty(LegId::Inbound);
  markDirty(LegId::Outbound);
}

void Call::maybeEnd(Output& out) {
  if (state_ != CallState::Terminating && state_ != CallState::Cancelling) return;
  for (LegId id : {LegId::Inbound, LegId::Outbound, LegId::Transfer}) {
    for (const PendingClient& client : std::as_const(*this).leg(id).clients) {
      // Our NOTIFYs (transfer progress) do not hold the call: their answers change nothing.
      if (client.kind == ClientKind::Own && client.method == sip::Method::Notify) continue;
      if (client.kind != ClientKind::Relay) return;
    }
  }
  end(out);
}

void Call::end(Output& out) {
  if (state_ == CallState::Ended) return;
  for (TimerKind kind : {TimerKind::Retransmit2xx, TimerKind::AckTimeout, TimerKind::NoAnswer,
                         TimerKind::CancelGuard}) {
    cancelTimer(kind, LegId::Inbound, out);
    cancelTimer(kind, LegId::Outbound, out);
    cancelTimer(kind, LegId::Transfer, out);
  }
  transfer_.step = TransferStep::None;
  endReplication(out);
  state_ = CallState::Ended;
  for (Leg& l : legs_) {
    l.servers.clear();
    l.clients.clear();
    l.await = Await2xxAck{};
  }
  if (transferSlot_) {
    transferSlot_->servers.clear();
    transferSlot_->clients.clear();
  }
  Action a;
  a.kind = ActionKind::CallEnded;
  a.status = finalStatus_;
  out.actions.push_back(std::move(a));
}

void Call::endReplication(Output& out) {
  if (!replicating_) return;
  StateEvent event;
  event.sequence = ++sequence_;
  event.kind = StateEventKind::CallEnded;
  event.callKey = callKey_;
  out.events.push_back(std::move(event));
  replicating_ = false;
}

void Call::flush(Output& out) {
  for (LegId id : {LegId::Inbound, LegId::Outbound}) {
    Leg& l = leg(id);
    if (l.dirty && replicating_) out.events.push_back(legEvent(id, ++sequence_));
    l.dirty = false;
  }
}

StateEvent Call::legEvent(LegId on, std::uint64_t sequence) const {
  StateEvent event;
  event.sequence = sequence;
  event.kind = StateEventKind::LegUpdated;
  event.callKey = callKey_;
  event.leg = on;
  event.dialog = leg(on).dialog;
  return event;
}

std::vector<StateEvent> Call::snapshot() const {
  std::vector<StateEvent> events;
  if (!replicating_ || sequence_ < 2) return events;
  events.push_back(legEvent(LegId::Inbound, sequence_ - 1));
  events.push_back(legEvent(LegId::Outbound, sequence_));
  return events;
}

std::unique_ptr<Call> Call::restore(const CallReplica& replica, const CallConfig& config,
                                    IdSource& ids, BodyTransform* transform) {
  if (!replica.complete()) return nullptr;
  auto call = std::make_unique<Call>(config, ids, transform);
  call->legs_[0].dialog = replica.leg(LegId::Inbound);
  call->legs_[1].dialog = replica.leg(LegId::Outbound);
  call->legs_[1].ourCallId = true;  // the outbound slot always holds a dialog sipd created
  call->callKey_ = replica.callKey();
  call->state_ = CallState::Confirmed;
  call->replicating_ = true;
  call->sequence_ = replica.lastSequence();
  call->finalStatus_ = 200;
  return call;
}

std::optional<EarlyCall> Call::early() const {
  if (state_ != CallState::Early || forking_ || transferSlot_ || targetIndex_ >= targets_.size()) {
    return std::nullopt;
  }
  const Leg& in = legs_[0];
  const Leg& o = legs_[1];
  const auto server =
      std::find_if(in.servers.begin(), in.servers.end(),
                   [&](const PendingServer& s) { return s.id == initialServerId_; });
  const auto client = std::find_if(o.clients.begin(), o.clients.end(), [&](const PendingClient& c) {
    return c.kind == ClientKind::Initial && c.cseq == attemptCseq_;
  });
  if (server == in.servers.end() || !server->request || client == o.clients.end() ||
      client->cancelWanted || client->cancelSent) {
    return std::nullopt;
  }
  EarlyCall e;
  e.callKey = callKey_;
  e.invite.assign(server->request->buffer());
  e.inboundTo = inboundTo_;
  e.inbound = in.dialog;
  e.outbound = o.dialog;
  e.inviteCseq = client->cseq;
  e.branch = client->branch;
  e.requestUri = client->requestUri;
  e.nextHop = client->nextHop;
  e.to = client->to;
  e.routes = client->routes;
  const Target& target = targets_[targetIndex_];
  e.transport = target.transport;
  e.noAnswerMs = static_cast<std::uint32_t>(target.noAnswerTimeout.count());
  return e;
}

std::unique_ptr<Call> Call::restoreEarly(const EarlyCall& early,
                                         std::unique_ptr<sip::Message> invite, ServerRef server,
                                         const CallConfig& config, IdSource& ids,
                                         BodyTransform* transform, Output& out) {
  if (!invite || invite->method() != sip::Method::Invite || early.inviteCseq == 0) return nullptr;
  auto call = std::make_unique<Call>(config, ids, transform);
  call->callKey_ = early.callKey;
  call->inboundTo_ = early.inboundTo;
  call->initialServerId_ = call->nextServerId_++;
  Leg& in = call->legs_[0];
  in.dialog = early.inbound;
  in.servers.push_back(PendingServer{call->initialServerId_, std::move(invite), server});
  Leg& o = call->legs_[1];
  o.dialog = early.outbound;
  o.ourCallId = true;
  PendingClient client;
  client.kind = ClientKind::Initial;
  client.method = sip::Method::Invite;
  client.cseq = early.inviteCseq;
  client.serverId = call->initialServerId_;
  client.branch = early.branch;
  client.requestUri = early.requestUri;
  client.nextHop = early.nextHop;
  client.to = early.to;
  client.routes = early.routes;
  client.provisional = true;
  o.clients.push_back(std::move(client));
  Target target;
  target.requestUri = early.requestUri;
  target.nextHop = early.nextHop;
  target.transport = early.transport;
  target.noAnswerTimeout = Duration{early.noAnswerMs};
  call->targets_.push_back(std::move(target));
  call->targetIndex_ = 0;
  call->groupEnd_ = 1;
  call->attemptCseq_ = early.inviteCseq;
  call->state_ = CallState::Early;
  if (early.noAnswerMs != 0) {
    call->startTimer(TimerKind::NoAnswer, LegId::Outbound, Duration{early.noAnswerMs}, out);
  }
  return call;
}

}  // namespace sipha::b2bua
