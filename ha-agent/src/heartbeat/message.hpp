#pragma once
// The heartbeat the two agents exchange on each path (docs/heartbeat.md, "Wire format"): what it
// says and its one binary encoding. Little-endian, versioned, bounded (at most kMaxBodyBytes
// before the tag); decodeBody() reads only inside the span it is given and refuses anything that
// is not exactly what encodeBody() writes, so every value has one encoding and back.
//
// What the sender says about itself is the role decision's PeerState (decision/peer_state.hpp),
// carried field for field; the transport adds the path, the boot id, the sequence number and the
// send time. The tag (authenticator.hpp) follows the body on the wire.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "decision/peer_state.hpp"

namespace sipha::agent::heartbeat {

using agent::Path;
using agent::PeerState;

inline constexpr std::array<std::uint8_t, 4> kMagic{'S', 'P', 'H', 'B'};
inline constexpr std::uint8_t kVersion = 1;

// The fixed part of the body: magic, version, path, role, flags, boot id, sequence, epoch, send
// time, node id length. The node id follows it.
inline constexpr std::size_t kFixedBytes = 41;
inline constexpr std::size_t kMaxNodeIdBytes = 64;
inline constexpr std::size_t kMinBodyBytes = kFixedBytes + 1;
inline constexpr std::size_t kMaxBodyBytes = kFixedBytes + kMaxNodeIdBytes;

// Sequence numbers are 1 .. kMaxSequence (2^48 - 1: 1400 years at 200 heartbeats a second). The
// bound leaves room for the receiver's order across boots (replay_window.hpp).
inline constexpr std::uint64_t kMaxSequence = (std::uint64_t{1} << 48) - 1;

// The flags byte; the other bits are zero.
namespace flag {
inline constexpr std::uint8_t kFailing = 0x01;
inline constexpr std::uint8_t kReady = 0x02;
inline constexpr std::uint8_t kWitnessOk = 0x04;
inline constexpr std::uint8_t kHandingOver = 0x08;
inline constexpr std::uint8_t kMonitored = 0x10;
inline constexpr std::uint8_t kAll = 0x1F;
}  // namespace flag

struct Heartbeat {
  Path path = Path::HaLink;      // the path the sender sent it on
  std::uint64_t bootId = 0;      // >= 1; grows with every start of the sender's agent
  std::uint64_t sequence = 0;    // 1 .. kMaxSequence; per sender and boot, both paths share it
  std::uint64_t sendTimeUs = 0;  // the sender's CLOCK_MONOTONIC at sending (diagnostics only)
  PeerState state;               // node id, role, epoch, failing, ready, witness, handing over

  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

// 1 .. kMaxNodeIdBytes bytes, each a visible ASCII character (0x21 .. 0x7E). The agent checks its
// [ha] node-id with it at start: a node id that cannot be sent is a configuration error.
bool validNodeId(std::string_view nodeId) noexcept;

// Why a body does not decode. The first four are checked before the tag (checkEnvelope), the
// others only in an authenticated body.
enum class DecodeError : std::uint8_t {
  None,
  TooShort,        // shorter than the smallest heartbeat, or than its node id length says
  TooLong,         // longer than the largest heartbeat
  BadMagic,        // not a heartbeat at all
  BadVersion,      // a version this agent does not speak
  LengthMismatch,  // bytes left over after the node id
  BadPath,         // not 0 (ha-link) or 1 (service)
  BadRole,         // not 0 (backup) or 1 (primary)
  BadFlags,        // a reserved flag bit is set
  BadBootId,       // 0
  BadSequence,     // 0 or over kMaxSequence
  BadNodeId,       // empty, or a byte outside 0x21 .. 0x7E
};

std::string_view decodeErrorName(DecodeError error) noexcept;

// The body's size for a heartbeat whose node id has `nodeIdBytes` bytes.
constexpr std::size_t bodySize(std::size_t nodeIdBytes) noexcept {
  return kFixedBytes + nodeIdBytes;
}

using BodyBuffer = std::array<std::uint8_t, kMaxBodyBytes>;

// Writes the body into `out` and returns its size; 0 (nothing usable written) when a field is
// out of its range (node id, boot id, sequence).
std::size_t encodeBody(const Heartbeat& heartbeat, BodyBuffer& out) noexcept;

// What can be checked of a body without trusting it: its size bounds, magic and version.
DecodeError checkEnvelope(std::span<const std::uint8_t> body) noexcept;

// The whole body, exactly: checkEnvelope() and every field. `out` is written only on None.
DecodeError decodeBody(std::span<const std::uint8_t> body, Heartbeat& out);

}  // namespace sipha::agent::heartbeat
