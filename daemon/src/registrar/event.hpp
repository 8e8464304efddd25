#pragma once
// A change of registrar state (RFC 3261 10.3 step 8: bindings added, refreshed, removed) plus
// expiry. Events carry a monotonically increasing sequence number; applying the same events in
// the same order to another Registrar reproduces the same state (replication, persistence).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

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

constexpr std::uint8_t kEventFormatVersion = 1;
// Fixed part after the 4-byte length prefix: version, kind, seq, expiresAt, cseq, q.
constexpr std::size_t kEventFixedSize = 1 + 1 + 8 + 8 + 4 + 2;
// Each string field is at most this long (u16 length prefix).
constexpr std::size_t kMaxEventFieldLength = 0xFFFF;

// Appends the wire form of `event` to `out` (see README.md, "Event format"). Returns false (and
// appends nothing) when a string field exceeds kMaxEventFieldLength.
bool serializeEvent(const Event& event, std::vector<std::byte>& out);

enum class DecodeStatus : std::uint8_t {
  Ok,
  NeedMore,    // the buffer holds only part of a record
  BadVersion,  // unknown format version
  Malformed,   // bad kind, lengths inconsistent with the record length
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::Malformed;
  std::size_t consumed = 0;  // bytes of `in` used by the record (when Ok)
};

// Decodes one record from the front of `in` into `event`. Never throws; untrusted input is safe.
DecodeResult deserializeEvent(std::span<const std::byte> in, Event& event);

}  // namespace sipha::registrar
