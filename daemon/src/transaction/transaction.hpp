#pragma once
// What every transaction has: its kind and state, where it sends, the bytes it may have to
// retransmit, and up to two timers (a retransmission timer and a lifetime timer).
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/method.hpp"
#include "timer/timer_wheel.hpp"
#include "transaction/config.hpp"
#include "transaction/keys.hpp"
#include "transport/peer.hpp"

namespace sipha::transaction {

class TransactionLayer;

enum class TransactionKind : std::uint8_t {
  InviteClient,
  NonInviteClient,
  InviteServer,
  NonInviteServer
};

// RFC 3261 17 (figures 5-8) plus RFC 6026's Accepted state.
enum class State : std::uint8_t {
  Calling,
  Trying,
  Proceeding,
  Completed,
  Confirmed,
  Accepted,
  Terminated,
};

// RFC 3261 17 / table 4, RFC 6026 (L, M).
enum class TimerName : std::uint8_t { A, B, D, E, F, G, H, I, J, K, L, M };

std::string_view stateName(State state) noexcept;
std::string_view timerName(TimerName name) noexcept;
std::string_view kindName(TransactionKind kind) noexcept;

class Transaction {
 public:
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  virtual ~Transaction();

  TransactionKind kind() const noexcept { return kind_; }
  State state() const noexcept { return state_; }
  sip::Method method() const noexcept { return method_; }
  bool isInvite() const noexcept { return method_ == sip::Method::Invite; }
  bool terminated() const noexcept { return state_ == State::Terminated; }
  // RFC 3261 branch (empty for an RFC 2543 server transaction).
  std::string_view branch() const noexcept { return branch_; }
  // Where this transaction sends: the request's destination (client) or the response's (server).
  const transport::Peer& peer() const noexcept { return peer_; }
  bool reliable() const noexcept { return transport::isReliable(peer_.kind); }
  // Last status sent (server) or received (client); 0 before any.
  std::uint16_t lastStatus() const noexcept { return lastStatus_; }

  void* userData() const noexcept { return userData_; }
  void setUserData(void* data) noexcept { userData_ = data; }

 protected:
  Transaction(TransactionLayer& layer, TransactionKind kind, sip::Method method,
              const transport::Peer& peer) noexcept;

  const TimerConfig& timers() const noexcept;
  // Timers A, E, G (restartable retransmission interval).
  void startRetransmitTimer(TimerName name, Duration delay);
  // Every other timer; a zero duration (reliable transports) terminates at once, as the RFC's
  // "zero seconds" does.
  void startLifetimeTimer(TimerName name, Duration delay);
  void stopTimers() noexcept;
  // Sends through the layer; on failure informs the TU, terminates, and returns false.
  bool transmit(std::string_view bytes, bool retransmission);
  void terminate();
  virtual void onTimer(TimerName name) = 0;

  TransactionLayer& layer_;
  transport::Peer peer_;
  std::string bytes_;  // client: request (then ACK); server: last response
  KeyStorage keys_;
  std::string_view branch_;
  Duration interval_{0};  // current retransmission interval
  std::uint16_t lastStatus_ = 0;
  State state_;

 private:
  friend class TransactionLayer;
  void fire(TimerName name);

  timer::TimerHandle retransmitTimer_;
  timer::TimerHandle lifetimeTimer_;
  void* userData_ = nullptr;
  Transaction* nextDead_ = nullptr;  // the layer's list of terminated transactions to free
  TransactionKind kind_;
  sip::Method method_;
};

}  // namespace sipha::transaction
