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
  std::uint64_t backupUdpDropped = 0;  // UDP read and dropped while backup
  std::uint64_t overloaded = 0;        // 503: transaction table full
  std::uint64_t merged = 0;            // 482: merged requests (8.2.2.2)
  std::uint64_t responses2xx = 0;
  std::uint64_t responses4xx = 0;
  std::uint64_t responses5xx = 0;
  std::uint64_t responses400 = 0;
  std::uint64_t heldForDurability = 0;  // 200s held until their bindings were durable
  std::uint64_t durabilityFailures = 0;
};

// Counts a response sipd sent (by the core, the registrar or a call) into its class counters.
inline void countResponse(CoreCounters& counters, std::uint16_t status) noexcept {
  if (status >= 200 && status < 300) ++counters.responses2xx;
  if (status >= 400 && status < 500) ++counters.responses4xx;
  if (status == 400) ++counters.responses400;
  if (status >= 500 && status < 600) ++counters.responses5xx;
}

}  // namespace sipha::core
