#pragma once
// What the transaction layer counts; exported by the daemon's status API.
#include <cstdint>

namespace sipha::transaction {

struct Counters {
  std::uint64_t serverCreated = 0;
  std::uint64_t clientCreated = 0;
  std::uint64_t terminated = 0;
  std::uint64_t requestRetransmissions = 0;   // retransmitted requests absorbed (17.2)
  std::uint64_t responseRetransmissions = 0;  // responses absorbed by client transactions (17.1)
  std::uint64_t retransmissionsSent = 0;      // requests/responses/ACKs sent again
  std::uint64_t acksAbsorbed = 0;             // ACKs for non-2xx consumed by INVITE servers
  std::uint64_t acksToTu = 0;                 // ACKs for 2xx (or matching nothing) for the TU
  std::uint64_t strayResponses = 0;           // responses matching no client transaction
  std::uint64_t mergedRequests = 0;           // 8.2.2.2, answered 482 by the TU
  std::uint64_t overloadRejected = 0;         // table full, answered 503 by the daemon
  std::uint64_t clientTimeouts = 0;           // Timer B / F
  std::uint64_t serverTimeouts = 0;           // Timer H
  std::uint64_t transportErrors = 0;          // 17.1.4, 17.2.4
  std::uint64_t invalidInput = 0;             // impossible status codes, ACK before any response
};

}  // namespace sipha::transaction
