#pragma once
// Test doubles for the transaction layer: a transport that records what was sent and when, a TU
// that records what it was told, and a helper that walks a ManualClock through every deadline.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "timer/clock.hpp"
#include "timer/timer_wheel.hpp"
#include "transaction/client_transaction.hpp"
#include "transaction/interfaces.hpp"
#include "transaction/server_transaction.hpp"
#include "transaction/transaction.hpp"
#include "transport/peer.hpp"

namespace sipha::testing {

using namespace std::chrono_literals;

inline timer::TimePoint at(std::int64_t millis) {
  return timer::TimePoint(timer::Duration(millis));
}

inline std::int64_t millisOf(timer::TimePoint time) { return time.time_since_epoch().count(); }

// Steps the clock to each deadline the wheel reports, so every timer fires at exactly its due
// time, then to `target`.
inline std::size_t runTo(timer::ManualClock& clock, timer::TimerWheel& wheel,
                         timer::TimePoint target) {
  std::size_t fired = 0;
  for (auto next = wheel.nextDeadline(); next && *next <= target; next = wheel.nextDeadline()) {
    if (*next > clock.now()) clock.set(*next);
    fired += wheel.advance(clock.now());
  }
  if (target > clock.now()) clock.set(target);
  return fired + wheel.advance(clock.now());
}

inline transport::Peer peer(transport::TransportKind kind, std::uint64_t connection = 0) {
  transport::Peer result;
  result.kind = kind;
  result.connectionId = connection;
  return result;
}

struct SentMessage {
  std::int64_t at;
  std::string bytes;
  transport::TransportKind kind;
};

class RecordingSink final : public transaction::TransportSink {
 public:
  explicit RecordingSink(const timer::Clock& clock) : clock_(clock) {}
  bool send(const transport::Peer& to, std::string_view bytes) override {
    if (fail) return false;
    sent.push_back({millisOf(clock_.now()), std::string(bytes), to.kind});
    return true;
  }
  std::vector<std::int64_t> timesOf(std::string_view bytes) const {
    std::vector<std::int64_t> times;
    for (const auto& message : sent) {
      if (message.bytes == bytes) times.push_back(message.at);
    }
    return times;
  }

  std::vector<SentMessage> sent;
  bool fail = false;

 private:
  const timer::Clock& clock_;
};

class RecordingUser final : public transaction::TransactionUser {
 public:
  explicit RecordingUser(const timer::Clock& clock) : clock_(clock) {}

  std::string buildAck(const transaction::ClientTransaction&,
                       const transaction::IncomingResponse& response) override {
    ++acksBuilt;
    return "ACK/" + std::to_string(response.status);
  }
  void onTimeout(transaction::ClientTransaction& transaction) override {
    timeouts.push_back({&transaction, millisOf(clock_.now())});
  }
  void onTimeout(transaction::ServerTransaction& transaction) override {
    timeouts.push_back({&transaction, millisOf(clock_.now())});
  }
  void onTransportError(transaction::Transaction& transaction) override {
    transportErrors.push_back(&transaction);
  }
  void onTerminated(transaction::Transaction& transaction) override {
    terminated.push_back({&transaction, millisOf(clock_.now())});
  }

  struct Event {
    const transaction::Transaction* transaction;
    std::int64_t at;
  };
  // When `transaction` was terminated, or -1.
  std::int64_t terminatedAt(const transaction::Transaction* transaction) const {
    for (const auto& event : terminated) {
      if (event.transaction == transaction) return event.at;
    }
    return -1;
  }

  int acksBuilt = 0;
  std::vector<Event> timeouts;
  std::vector<Event> terminated;
  std::vector<const transaction::Transaction*> transportErrors;

 private:
  const timer::Clock& clock_;
};

}  // namespace sipha::testing
