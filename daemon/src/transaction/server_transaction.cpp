#include "transaction/server_transaction.hpp"

#include <algorithm>

#include "transaction/transaction_layer.hpp"

namespace sipha::transaction {

ServerTransaction::ServerTransaction(TransactionLayer& layer, const IncomingRequest& request)
    : Transaction(layer,
                  request.method == sip::Method::Invite ? TransactionKind::InviteServer
                                                        : TransactionKind::NonInviteServer,
                  request.method, request.source) {
  const ServerKey incoming = ServerKey::of(request, serverKeyMethod(request.method));
  std::size_t total = request.fromTag.size() + request.callId.size();
  total += incoming.rfc3261
               ? request.branch.size() + request.sentBy.size()
               : request.requestUri.size() + request.topVia.size() + request.toTag.size();
  keys_.reserve(total);

  mergeKey_ = MergeKey{keys_.copy(request.fromTag), keys_.copy(request.callId), request.cseq,
                       request.cseqMethod};
  key_.rfc3261 = incoming.rfc3261;
  key_.method = incoming.method;
  if (incoming.rfc3261) {
    key_.branch = keys_.copy(request.branch);
    key_.sentBy = keys_.copy(request.sentBy);
    branch_ = key_.branch;
  } else {
    key_.requestUri = keys_.copy(request.requestUri);
    key_.topVia = keys_.copy(request.topVia);
    key_.fromTag = mergeKey_.fromTag;
    key_.callId = mergeKey_.callId;
    key_.cseq = request.cseq;
    toTag_ = keys_.copy(request.toTag);
  }
  state_ = isInvite() ? State::Proceeding : State::Trying;
}

RespondResult ServerTransaction::respond(std::uint16_t status, std::string bytes) {
  if (status < 100 || status > 699) return RespondResult::InvalidStatus;
  const bool success = status >= 200 && status < 300;
  if (state_ == State::Accepted) {
    // RFC 6026 7.1: 2xx retransmissions from the TU pass through to the transport.
    if (!success) return RespondResult::InvalidState;
    bytes_ = std::move(bytes);
    return transmit(bytes_, false) ? RespondResult::Ok : RespondResult::TransportError;
  }
  if (state_ != State::Trying && state_ != State::Proceeding) return RespondResult::InvalidState;

  bytes_ = std::move(bytes);
  lastStatus_ = status;
  if (!transmit(bytes_, false)) return RespondResult::TransportError;
  if (status < 200) {
    state_ = State::Proceeding;
    return RespondResult::Ok;
  }
  const TimerConfig& config = timers();
  if (!isInvite()) {  // 17.2.2: Completed; Timer J = 64*T1 unreliable, 0 reliable
    state_ = State::Completed;
    startLifetimeTimer(TimerName::J, reliable() ? Duration::zero() : config.timeout());
  } else if (success) {  // RFC 6026 7.1: Accepted; Timer L = 64*T1
    state_ = State::Accepted;
    startLifetimeTimer(TimerName::L, config.timeout());
  } else {  // 17.2.1: Completed; Timer G (unreliable) and Timer H
    state_ = State::Completed;
    if (!reliable()) {
      interval_ = config.t1;
      startRetransmitTimer(TimerName::G, interval_);
    }
    startLifetimeTimer(TimerName::H, config.timeout());
  }
  return RespondResult::Ok;
}

// 17.2.1 / 17.2.2: a retransmitted request re-sends the last response, if any. RFC 6026 7.1:
// INVITE retransmissions in Accepted are absorbed without a response.
RequestDisposition ServerTransaction::receiveRetransmission() {
  ++layer_.counters_.requestRetransmissions;
  if ((state_ == State::Proceeding || state_ == State::Completed) && !bytes_.empty()) {
    transmit(bytes_, true);
  }
  return RequestDisposition::Retransmission;
}

RequestDisposition ServerTransaction::receiveAck() {
  switch (state_) {
    case State::Completed:  // 17.2.1: Confirmed; Timer I = T4 unreliable, 0 reliable
      stopTimers();
      state_ = State::Confirmed;
      ++layer_.counters_.acksAbsorbed;
      startLifetimeTimer(TimerName::I, reliable() ? Duration::zero() : timers().t4);
      return RequestDisposition::AckAbsorbed;
    case State::Confirmed:
      ++layer_.counters_.acksAbsorbed;
      return RequestDisposition::AckAbsorbed;
    case State::Accepted:  // RFC 6026 7.1: the ACK for the 2xx belongs to the TU
      ++layer_.counters_.acksToTu;
      return RequestDisposition::AckForTu;
    default:  // an ACK before any final response: nothing to acknowledge
      ++layer_.counters_.invalidInput;
      return RequestDisposition::AckAbsorbed;
  }
}

void ServerTransaction::onTimer(TimerName name) {
  switch (name) {
    case TimerName::G:  // 17.2.1: retransmit the final response, interval doubles up to T2
      if (state_ != State::Completed || !transmit(bytes_, true)) return;
      interval_ = std::min(2 * interval_, timers().t2);
      startRetransmitTimer(TimerName::G, interval_);
      return;
    case TimerName::H:  // 17.2.1: no ACK came
      if (state_ != State::Completed) return;
      ++layer_.counters_.serverTimeouts;
      layer_.user_.onTimeout(*this);
      terminate();
      return;
    case TimerName::I:
    case TimerName::J:
    case TimerName::L:
      terminate();
      return;
    default:
      return;
  }
}

}  // namespace sipha::transaction
