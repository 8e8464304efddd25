#include "transaction/client_transaction.hpp"

#include <algorithm>

#include "transaction/transaction_layer.hpp"

namespace sipha::transaction {

ClientTransaction::ClientTransaction(TransactionLayer& layer, const OutgoingRequest& request,
                                     std::string bytes)
    : Transaction(layer,
                  request.method == sip::Method::Invite ? TransactionKind::InviteClient
                                                        : TransactionKind::NonInviteClient,
                  request.method, request.destination) {
  bytes_ = std::move(bytes);
  keys_.reserve(request.branch.size());
  branch_ = keys_.copy(request.branch);
  key_ = ClientKey{branch_, request.method};
  state_ = isInvite() ? State::Calling : State::Trying;
}

// 17.1.1.2 / 17.1.2.2: send, then Timer A or E (unreliable only) and Timer B or F.
bool ClientTransaction::start() {
  if (!layer_.sink_.send(peer_, bytes_)) return false;
  if (!reliable()) {
    interval_ = timers().t1;
    startRetransmitTimer(isInvite() ? TimerName::A : TimerName::E, interval_);
  }
  startLifetimeTimer(isInvite() ? TimerName::B : TimerName::F, timers().timeout());
  return true;
}

ResponseDisposition ClientTransaction::receiveResponse(const IncomingResponse& response) {
  return isInvite() ? receiveInviteResponse(response) : receiveNonInviteResponse(response);
}

// 17.1.1.2 (figure 5) as updated by RFC 6026 7.2 (Accepted state, Timer M).
ResponseDisposition ClientTransaction::receiveInviteResponse(const IncomingResponse& response) {
  const std::uint16_t status = response.status;
  switch (state_) {
    case State::Calling:
    case State::Proceeding:
      lastStatus_ = status;
      if (status < 200) {
        // Proceeding: no more retransmissions, and Timer B only guards the Calling state.
        if (state_ == State::Calling) stopTimers();
        state_ = State::Proceeding;
        return ResponseDisposition::PassToTu;
      }
      stopTimers();
      if (status < 300) {
        state_ = State::Accepted;
        startLifetimeTimer(TimerName::M, timers().timeout());
        return ResponseDisposition::PassToTu;
      }
      // 17.1.1.3: the transaction ACKs a non-2xx final response itself.
      state_ = State::Completed;
      bytes_ = layer_.user_.buildAck(*this, response);
      if (!transmit(bytes_, false)) return ResponseDisposition::PassToTu;
      startLifetimeTimer(TimerName::D, reliable() ? Duration::zero() : timers().timerD);
      return ResponseDisposition::PassToTu;
    case State::Completed:
      // A retransmitted final response: re-send the ACK, do not bother the TU.
      ++layer_.counters_.responseRetransmissions;
      if (status >= 300) transmit(bytes_, true);
      return ResponseDisposition::Absorbed;
    case State::Accepted:
      // RFC 6026 7.2: every 2xx (retransmission or another fork) goes to the TU, which ACKs it.
      if (status >= 200 && status < 300) {
        lastStatus_ = status;
        return ResponseDisposition::PassToTu;
      }
      ++layer_.counters_.responseRetransmissions;
      return ResponseDisposition::Absorbed;
    default:
      return ResponseDisposition::Absorbed;
  }
}

// 17.1.2.2 (figure 6).
ResponseDisposition ClientTransaction::receiveNonInviteResponse(const IncomingResponse& response) {
  const std::uint16_t status = response.status;
  switch (state_) {
    case State::Trying:
    case State::Proceeding:
      lastStatus_ = status;
      if (status < 200) {
        state_ = State::Proceeding;
        return ResponseDisposition::PassToTu;
      }
      stopTimers();
      state_ = State::Completed;
      startLifetimeTimer(TimerName::K, reliable() ? Duration::zero() : timers().t4);
      return ResponseDisposition::PassToTu;
    case State::Completed:
      ++layer_.counters_.responseRetransmissions;
      return ResponseDisposition::Absorbed;
    default:
      return ResponseDisposition::Absorbed;
  }
}

void ClientTransaction::onTimer(TimerName name) {
  const TimerConfig& config = timers();
  switch (name) {
    case TimerName::A:  // 17.1.1.2: retransmit, double the interval (no cap for INVITE)
      if (state_ != State::Calling || !transmit(bytes_, true)) return;
      interval_ *= 2;
      startRetransmitTimer(TimerName::A, interval_);
      return;
    case TimerName::E:  // 17.1.2.2: double up to T2 in Trying; T2 in Proceeding
      if ((state_ != State::Trying && state_ != State::Proceeding) || !transmit(bytes_, true)) {
        return;
      }
      interval_ = state_ == State::Trying ? std::min(2 * interval_, config.t2) : config.t2;
      startRetransmitTimer(TimerName::E, interval_);
      return;
    case TimerName::B:
    case TimerName::F:
      if (state_ != State::Calling && state_ != State::Trying && state_ != State::Proceeding) {
        return;
      }
      ++layer_.counters_.clientTimeouts;
      layer_.user_.onTimeout(*this);
      terminate();
      return;
    case TimerName::D:
    case TimerName::K:
    case TimerName::M:
      terminate();
      return;
    default:
      return;
  }
}

}  // namespace sipha::transaction
