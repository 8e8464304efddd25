#include "heartbeat/message.hpp"

#include <algorithm>

namespace sipha::agent::heartbeat {

namespace {

// Offsets of the fixed part (docs/heartbeat.md, "Wire format").
constexpr std::size_t kOffVersion = 4;
constexpr std::size_t kOffPath = 5;
constexpr std::size_t kOffRole = 6;
constexpr std::size_t kOffFlags = 7;
constexpr std::size_t kOffBootId = 8;
constexpr std::size_t kOffSequence = 16;
constexpr std::size_t kOffEpoch = 24;
constexpr std::size_t kOffSendTime = 32;
constexpr std::size_t kOffNodeIdLength = 40;
static_assert(kOffNodeIdLength + 1 == kFixedBytes);

void putU64(std::uint8_t* at, std::uint64_t value) noexcept {
  for (std::size_t i = 0; i < 8; ++i) at[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

// The caller checked that 8 bytes are there.
std::uint64_t getU64(std::span<const std::uint8_t> body, std::size_t offset) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value |= std::uint64_t{body[offset + i]} << (8 * i);
  return value;
}

bool validSequence(std::uint64_t sequence) noexcept {
  return sequence >= 1 && sequence <= kMaxSequence;
}

}  // namespace

bool validNodeId(std::string_view nodeId) noexcept {
  if (nodeId.empty() || nodeId.size() > kMaxNodeIdBytes) return false;
  return std::all_of(nodeId.begin(), nodeId.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x21 && byte <= 0x7E;
  });
}

std::string_view decodeErrorName(DecodeError error) noexcept {
  switch (error) {
    case DecodeError::None:
      return "none";
    case DecodeError::TooShort:
      return "too-short";
    case DecodeError::TooLong:
      return "too-long";
    case DecodeError::BadMagic:
      return "bad-magic";
    case DecodeError::BadVersion:
      return "bad-version";
    case DecodeError::LengthMismatch:
      return "length-mismatch";
    case DecodeError::BadPath:
      return "bad-path";
    case DecodeError::BadRole:
      return "bad-role";
    case DecodeError::BadFlags:
      return "bad-flags";
    case DecodeError::BadBootId:
      return "bad-boot-id";
    case DecodeError::BadSequence:
      return "bad-sequence";
    case DecodeError::BadNodeId:
      return "bad-node-id";
  }
  return "?";
}

std::size_t encodeBody(const Heartbeat& heartbeat, BodyBuffer& out) noexcept {
  // Every field of PeerState is on the wire: one added there stops this from compiling until it
  // is encoded (and the version considered).
  const auto& [nodeId, role, epoch, failing, ready, witnessOk, handingOver, monitored] =
      heartbeat.state;
  if (!validNodeId(nodeId) || heartbeat.bootId == 0 || !validSequence(heartbeat.sequence)) {
    return 0;
  }
  std::uint8_t* const at = out.data();
  std::copy(kMagic.begin(), kMagic.end(), at);
  at[kOffVersion] = kVersion;
  at[kOffPath] = heartbeat.path == Path::HaLink ? 0 : 1;
  at[kOffRole] = role == Role::Backup ? 0 : 1;
  at[kOffFlags] = static_cast<std::uint8_t>(
      (failing ? flag::kFailing : 0) | (ready ? flag::kReady : 0) |
      (witnessOk ? flag::kWitnessOk : 0) | (handingOver ? flag::kHandingOver : 0) |
      (monitored ? flag::kMonitored : 0));
  putU64(at + kOffBootId, heartbeat.bootId);
  putU64(at + kOffSequence, heartbeat.sequence);
  putU64(at + kOffEpoch, epoch);
  putU64(at + kOffSendTime, heartbeat.sendTimeUs);
  at[kOffNodeIdLength] = static_cast<std::uint8_t>(nodeId.size());
  std::copy(nodeId.begin(), nodeId.end(), at + kFixedBytes);
  return bodySize(nodeId.size());
}

DecodeError checkEnvelope(std::span<const std::uint8_t> body) noexcept {
  if (body.size() < kMinBodyBytes) return DecodeError::TooShort;
  if (body.size() > kMaxBodyBytes) return DecodeError::TooLong;
  if (!std::equal(kMagic.begin(), kMagic.end(), body.begin())) return DecodeError::BadMagic;
  if (body[kOffVersion] != kVersion) return DecodeError::BadVersion;
  return DecodeError::None;
}

DecodeError decodeBody(std::span<const std::uint8_t> body, Heartbeat& out) {
  if (const DecodeError envelope = checkEnvelope(body); envelope != DecodeError::None) {
    return envelope;
  }
  // From here on body.size() is kMinBodyBytes .. kMaxBodyBytes: the fixed part is there.
  const std::size_t nodeIdBytes = body[kOffNodeIdLength];
  if (nodeIdBytes == 0 || nodeIdBytes > kMaxNodeIdBytes) return DecodeError::BadNodeId;
  if (body.size() < bodySize(nodeIdBytes)) return DecodeError::TooShort;
  if (body.size() > bodySize(nodeIdBytes)) return DecodeError::LengthMismatch;

  const std::uint8_t path = body[kOffPath];
  const std::uint8_t role = body[kOffRole];
  const std::uint8_t flags = body[kOffFlags];
  if (path > 1) return DecodeError::BadPath;
  if (role > 1) return DecodeError::BadRole;
  if ((flags & ~flag::kAll) != 0) return DecodeError::BadFlags;
  const std::uint64_t bootId = getU64(body, kOffBootId);
  const std::uint64_t sequence = getU64(body, kOffSequence);
  if (bootId == 0) return DecodeError::BadBootId;
  if (!validSequence(sequence)) return DecodeError::BadSequence;
  const std::string_view nodeId(reinterpret_cast<const char*>(body.data() + kFixedBytes),
                                nodeIdBytes);
  if (!validNodeId(nodeId)) return DecodeError::BadNodeId;

  out.path = path == 0 ? Path::HaLink : Path::Service;
  out.bootId = bootId;
  out.sequence = sequence;
  out.sendTimeUs = getU64(body, kOffSendTime);
  out.state.nodeId.assign(nodeId);
  out.state.role = role == 0 ? Role::Backup : Role::Primary;
  out.state.epoch = getU64(body, kOffEpoch);
  out.state.failing = (flags & flag::kFailing) != 0;
  out.state.ready = (flags & flag::kReady) != 0;
  out.state.witnessOk = (flags & flag::kWitnessOk) != 0;
  out.state.handingOver = (flags & flag::kHandingOver) != 0;
  out.state.monitored = (flags & flag::kMonitored) != 0;
  return DecodeError::None;
}

}  // namespace sipha::agent::heartbeat
