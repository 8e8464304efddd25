#pragma once
// Transaction layer settings: the RFC 3261 timer base values (17.1.1.1, table 4) and the limit on
// live transactions (a peer must not make us allocate without bound).
#include <cstddef>

#include "timer/clock.hpp"

namespace sipha::transaction {

using timer::Duration;

struct TimerConfig {
  Duration t1{500};   // RTT estimate
  Duration t2{4000};  // maximum retransmit interval for non-INVITE requests and INVITE responses
  Duration t4{5000};  // maximum duration a message remains in the network
  Duration timerD{32000};  // 17.1.1.2: "at least 32 seconds" on unreliable transports

  // 64*T1: Timers B, F, H, J (unreliable), and RFC 6026's L and M.
  Duration timeout() const noexcept { return 64 * t1; }
};

struct Config {
  TimerConfig timers;
  // Beyond these the layer reports Overloaded (the daemon answers 503 statelessly) or refuses to
  // start a client transaction.
  std::size_t maxServerTransactions = 100000;
  std::size_t maxClientTransactions = 100000;
};

}  // namespace sipha::transaction
