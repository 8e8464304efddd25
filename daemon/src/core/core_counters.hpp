#pragma once
// sipd's own counters (what the layers below do not count themselves). Exported on D-Bus
// `Counters` together with the transport, transaction and registrar counters.
#include <cstdint>

namespace sipha::core {

struct CoreCounters {
  std::uint64_t requestsIn = 0;
  std::uint64_t responsesIn = 0;
  std::uint64_t parseErrors = 0;          // refused by the parser (answered or dropped)
  std::uint64_t parseErrorsAnswered = 0;  // ... answered with 400/505/513
  std::uint64_t parseErrorsDropped = 0;   // ... that could not be answered
  std::uint64_t strayResponses = 0;       // matched no client transaction (18.1.2)
  std::uint64_t optionsIn = 0;
  std::uint64_t registerIn = 0;
  std::uint64_t backupUdpDropped = 0;   // UDP read and dropped while backup
  std::uint64_t overloaded = 0;         // 503: transaction table full
  std::uint64_t merged = 0;             // 482: merged requests (8.2.2.2)
  std::uint64_t switchoverDropped = 0;  // new requests dropped by a switchover drain
  std::uint64_t responses2xx = 0;
  std::uint64_t responses4xx = 0;
  std::uint64_t responses5xx = 0;
  std::uint64_t responses400 = 0;
  std::uint64_t heldForDurability = 0;  // 200s held until their bindings were durable
  std::uint64_t durabilityFailures = 0;
  // Call admission (core/call_gate.hpp, docs/authentication.md): new INVITEs admitted ...
  std::uint64_t authTrusted = 0;         // ... from a trusted source
  std::uint64_t authAuthenticated = 0;   // ... with digest credentials of the From Extension
  std::uint64_t authRegistered = 0;      // ... from a password-less Extension's binding address
  std::uint64_t authChallenges = 0;      // 401: no credentials yet, or a stale nonce
  std::uint64_t authFailures = 0;        // 401 again: wrong credentials
  std::uint64_t authRefusedUnknown = 0;  // 403: untrusted, From user no Extension
  std::uint64_t authRefusedUnregistered = 0;  // 403: password-less, not from its binding
  std::uint64_t authRefusedWrongUser = 0;     // 403: credentials of another user
  std::uint64_t authRefusedBlocked = 0;       // 403: INVITE or REGISTER of a blocked source
  std::uint64_t authSourcesBlocked = 0;       // sources that reached the failure limit
  std::uint64_t authTableEvictions = 0;       // sources dropped from the full failure table
};

// Counts a response sipd sent (by the core, the registrar or a call) into its class counters.
inline void countResponse(CoreCounters& counters, std::uint16_t status) noexcept {
  if (status >= 200 && status < 300) ++counters.responses2xx;
  if (status >= 400 && status < 500) ++counters.responses4xx;
  if (status == 400) ++counters.responses400;
  if (status >= 500 && status < 600) ++counters.responses5xx;
}

}  // namespace sipha::core
