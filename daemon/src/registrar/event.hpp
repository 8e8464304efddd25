#pragma once
// A change of registrar state (RFC 3261 10.3 step 8: bindings added, refreshed, removed) plus
// expiry. Events carry a monotonically increasing sequence number; applying the same events in
// the same order to another Registrar reproduces the same state (replication, persistence).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sipha::registrar {

enum class EventKind : std::uint8_t {
  Added = 1,      // new binding
  Refreshed = 2,  // existing binding, new Call-ID/CSeq/expiry/q/params/source
  Removed = 3,    // removed by the UA (expires=0 or Contact: *)
  Expired = 4,    // removed by expireUntil()
};

struct Event {
  std::uint64_t seq = 0;
  EventKind kind = EventKind::Added;
  std::string aor;         // "user@host", host lower-cased (Registrar::aorKey)
  std::string contactUri;  // the Contact URI text as received
  // The fields below are meaningful for Added/Refreshed; empty/zero for Removed/Expired.
  std::string callId;
  std::uint32_t cseq = 0;
  std::int64_t expiresAt = 0;      // absolute, seconds since the epoch
  std::optional<std::uint16_t> q;  // thousandths (q=0.5 -> 500)
  std::string params;              // contact params to echo (without expires/q)
  std::string source;              // where the REGISTER came from, e.g. "udp:1.2.3.4:5060"

  bool operator==(const Event&) const = default;
};

// Each string field of an event is at most this long: BindingStore keeps a binding's strings
// with 16-bit lengths. The state stream's record (replication/record.hpp, the one wire form of
// an event) refuses longer fields.
constexpr std::size_t kMaxEventFieldLength = 0xFFFF;

}  // namespace sipha::registrar
