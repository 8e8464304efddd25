#include "transaction/transaction.hpp"

#include "transaction/outcomes.hpp"
#include "transaction/transaction_layer.hpp"

namespace sipha::transaction {

std::string_view stateName(State state) noexcept {
  switch (state) {
    case State::Calling:
      return "Calling";
    case State::Trying:
      return "Trying";
    case State::Proceeding:
      return "Proceeding";
    case State::Completed:
      return "Completed";
    case State::Confirmed:
      return "Confirmed";
    case State::Accepted:
      return "Accepted";
    case State::Terminated:
      return "Terminated";
  }
  return "?";
}

std::string_view timerName(TimerName name) noexcept {
  static constexpr std::string_view kNames[] = {"A", "B", "D", "E", "F", "G",
                                                "H", "I", "J", "K", "L", "M"};
  return kNames[static_cast<unsigned>(name)];
}

std::string_view kindName(TransactionKind kind) noexcept {
  switch (kind) {
    case TransactionKind::InviteClient:
      return "INVITE client";
    case TransactionKind::NonInviteClient:
      return "non-INVITE client";
    case TransactionKind::InviteServer:
      return "INVITE server";
    case TransactionKind::NonInviteServer:
      return "non-INVITE server";
  }
  return "?";
}

std::string_view dispositionName(RequestDisposition disposition) noexcept {
  switch (disposition) {
    case RequestDisposition::NewTransaction:
      return "new";
    case RequestDisposition::Retransmission:
      return "retransmission";
    case RequestDisposition::AckAbsorbed:
      return "ack-absorbed";
    case RequestDisposition::AckForTu:
      return "ack-for-tu";
    case RequestDisposition::Merged:
      return "merged";
    case RequestDisposition::Overloaded:
      return "overloaded";
    case RequestDisposition::NotCreated:
      return "not-created";
  }
  return "?";
}

std::string_view dispositionName(ResponseDisposition disposition) noexcept {
  switch (disposition) {
    case ResponseDisposition::PassToTu:
      return "pass-to-tu";
    case ResponseDisposition::Absorbed:
      return "absorbed";
    case ResponseDisposition::NoMatch:
      return "no-match";
    case ResponseDisposition::Invalid:
      return "invalid";
  }
  return "?";
}

Transaction::Transaction(TransactionLayer& layer, TransactionKind kind, sip::Method method,
                         const transport::Peer& peer) noexcept
    : layer_(layer), peer_(peer), state_(State::Trying), kind_(kind), method_(method) {}

Transaction::~Transaction() { stopTimers(); }

const TimerConfig& Transaction::timers() const noexcept { return layer_.config().timers; }

void Transaction::startRetransmitTimer(TimerName name, Duration delay) {
  layer_.wheel_.cancel(retransmitTimer_);
  retransmitTimer_ = layer_.wheel_.schedule(delay, [this, name] { fire(name); });
}

void Transaction::startLifetimeTimer(TimerName name, Duration delay) {
  layer_.wheel_.cancel(lifetimeTimer_);
  if (delay <= Duration::zero()) {
    terminate();
    return;
  }
  lifetimeTimer_ = layer_.wheel_.schedule(delay, [this, name] { fire(name); });
}

void Transaction::stopTimers() noexcept {
  layer_.wheel_.cancel(retransmitTimer_);
  layer_.wheel_.cancel(lifetimeTimer_);
}

bool Transaction::transmit(std::string_view bytes, bool retransmission) {
  if (layer_.sink_.send(peer_, bytes)) {
    if (retransmission) ++layer_.counters_.retransmissionsSent;
    return true;
  }
  layer_.transportFailed(*this);
  return false;
}

void Transaction::terminate() { layer_.retire(*this); }

void Transaction::fire(TimerName name) {
  switch (name) {
    case TimerName::A:
    case TimerName::E:
    case TimerName::G:
      retransmitTimer_ = timer::TimerHandle{};
      break;
    default:
      lifetimeTimer_ = timer::TimerHandle{};
      break;
  }
  layer_.dispatchTimer(*this, name);
}

}  // namespace sipha::transaction
