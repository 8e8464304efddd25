#pragma once
// One record of sipd's state stream (issue 9, docs/replication.md): every change of state that
// the backup must hold — a registrar binding event, a call leg's dialog state, a trunk's health,
// the digest nonce secret — in one binary encoding with a version byte. The stream's own
// sequence number is not part of a record: the log and the link frames carry it.
//
// Encoding (all integers little-endian; strings are u32 length + bytes; wire.hpp):
//   u8 version = kRecordVersion, u8 kind, then the kind's fields (record.cpp).
// decodeRecord never trusts its input: a wrong version, an unknown kind, a field beyond its
// limit, trailing bytes or a truncated record are refused and nothing is returned.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "b2bua/state_event.hpp"
#include "registrar/event.hpp"

namespace sipha::replication {

inline constexpr std::uint8_t kRecordVersion = 1;
// The longest record the decoder accepts (a call leg with two SDP bodies and its route set).
inline constexpr std::size_t kMaxRecordBytes = 256 * 1024;

enum class RecordKind : std::uint8_t {
  Binding = 1,    // registrar::Event (Added, Refreshed, Removed, Expired)
  CallLeg = 2,    // b2bua::StateEvent (LegUpdated, CallEnded) + the leg's SDP o= state
  Trunk = 3,      // a trunk / softswitch contact's health
  Secret = 4,     // the digest nonce secret (nonces stay valid across a switchover)
  EarlyCall = 5,  // b2bua::EarlyCall: a ringing call, completed by the new primary if answered
};

struct CallLegRecord {
  b2bua::StateEvent event;
  // sdp::LegSdpState::serialize() of the leg `event.leg` (empty: none yet / CallEnded), so the
  // new primary keeps presenting the same o= line and version (RFC 3264 8).
  std::string sdpState;
  friend bool operator==(const CallLegRecord&, const CallLegRecord&) = default;
};

struct TrunkRecord {
  std::string dn;
  std::string contact;  // "sip:host:port;params" as HealthMonitor knows it
  bool inService = true;
  std::uint8_t reason = 0;      // routing::HealthReason
  std::uint64_t sinceUsec = 0;  // CLOCK_REALTIME microseconds
  friend bool operator==(const TrunkRecord&, const TrunkRecord&) = default;
};

struct SecretRecord {
  std::string secret;  // the HMAC key of the registrar's stateless nonces (DigestOptions::secret)
  friend bool operator==(const SecretRecord&, const SecretRecord&) = default;
};

struct EarlyCallRecord {
  b2bua::EarlyCall call;
  std::string sdpState[2];  // sdp::LegSdpState::serialize() of Inbound, Outbound (may be empty)
  friend bool operator==(const EarlyCallRecord&, const EarlyCallRecord&) = default;
};

using Record =
    std::variant<registrar::Event, CallLegRecord, TrunkRecord, SecretRecord, EarlyCallRecord>;

RecordKind kindOf(const Record& record) noexcept;
// "binding", "call", "trunk", "secret", "early-call"
std::string_view kindName(RecordKind kind) noexcept;

// Appends the encoding of `record` to `out`. False (nothing appended) when a field is beyond
// what the decoder accepts (a string over kMaxFieldBytes or a record over kMaxRecordBytes).
bool encodeRecord(const Record& record, std::string& out);

enum class RecordError : std::uint8_t { None, BadVersion, UnknownKind, Malformed };
std::string_view recordErrorName(RecordError error) noexcept;
// Decodes exactly one record occupying all of `in`.
RecordError decodeRecord(std::string_view in, Record& out);

}  // namespace sipha::replication
