#include "heartbeat/receiver.hpp"

#include <utility>

namespace sipha::agent::heartbeat {

std::string_view dropReasonName(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::TooShort:
      return "too-short";
    case DropReason::TooLong:
      return "too-long";
    case DropReason::BadMagic:
      return "bad-magic";
    case DropReason::BadVersion:
      return "bad-version";
    case DropReason::BadMac:
      return "bad-mac";
    case DropReason::Malformed:
      return "malformed";
    case DropReason::FromSelf:
      return "from-self";
    case DropReason::UnknownPeer:
      return "unknown-peer";
    case DropReason::WrongPath:
      return "wrong-path";
    case DropReason::OldBoot:
      return "old-boot";
    case DropReason::Replayed:
      return "replayed";
    case DropReason::TooOld:
      return "too-old";
  }
  return "?";
}

std::uint64_t& ReceiverCounters::dropped(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::TooShort:
      return tooShort;
    case DropReason::TooLong:
      return tooLong;
    case DropReason::BadMagic:
      return badMagic;
    case DropReason::BadVersion:
      return badVersion;
    case DropReason::BadMac:
      return badMac;
    case DropReason::Malformed:
      return malformed;
    case DropReason::FromSelf:
      return fromSelf;
    case DropReason::UnknownPeer:
      return unknownPeer;
    case DropReason::WrongPath:
      return wrongPath;
    case DropReason::OldBoot:
      return oldBoot;
    case DropReason::Replayed:
      return replayed;
    case DropReason::TooOld:
      return tooOld;
  }
  return malformed;  // not reached: every reason is listed
}

std::uint64_t ReceiverCounters::dropped(DropReason reason) const noexcept {
  return const_cast<ReceiverCounters*>(this)->dropped(reason);
}

std::uint64_t ReceiverCounters::droppedTotal() const noexcept {
  return tooShort + tooLong + badMagic + badVersion + badMac + malformed + fromSelf + unknownPeer +
         wrongPath + oldBoot + replayed + tooOld;
}

Receiver::Receiver(ReceiverConfig config, const PairKey& key)
    : config_(std::move(config)),
      authenticator_(key),
      peerNodeId_(config_.peerNodeId),
      history_(config_.peerBootFloor) {}

Verdict Receiver::drop(DropReason reason, DecodeError error) {
  ++counters_.dropped(reason);
  Verdict verdict;
  verdict.drop = reason;
  verdict.decodeError = error;
  return verdict;
}

Verdict Receiver::receive(std::span<const std::uint8_t> datagram, Path arrivedOn) {
  if (datagram.size() < kMinBodyBytes + kTagBytes) {
    return drop(DropReason::TooShort, DecodeError::TooShort);
  }
  const std::span<const std::uint8_t> body = datagram.first(datagram.size() - kTagBytes);
  const std::span<const std::uint8_t> tag = datagram.last(kTagBytes);
  switch (const DecodeError envelope = checkEnvelope(body)) {
    case DecodeError::None:
      break;
    case DecodeError::TooShort:
      return drop(DropReason::TooShort, envelope);
    case DecodeError::TooLong:
      return drop(DropReason::TooLong, envelope);
    case DecodeError::BadMagic:
      return drop(DropReason::BadMagic, envelope);
    case DecodeError::BadVersion:
      return drop(DropReason::BadVersion, envelope);
    default:
      return drop(DropReason::Malformed, envelope);  // not reached: the envelope's four
  }
  if (!authenticator_.verify(body, tag)) return drop(DropReason::BadMac);

  Verdict verdict;
  if (const DecodeError error = decodeBody(body, verdict.heartbeat); error != DecodeError::None) {
    return drop(DropReason::Malformed, error);
  }
  const std::string& sender = verdict.heartbeat.state.nodeId;
  if (sender == config_.selfNodeId) return drop(DropReason::FromSelf);
  if (!peerNodeId_.empty() && sender != peerNodeId_) return drop(DropReason::UnknownPeer);
  if (verdict.heartbeat.path != arrivedOn) return drop(DropReason::WrongPath);

  switch (history_.admit(verdict.heartbeat.bootId, verdict.heartbeat.sequence, verdict.order)) {
    case Admission::Fresh:
      break;
    case Admission::NewBoot:
      verdict.newBoot = true;
      break;
    case Admission::OldBoot:
      return drop(DropReason::OldBoot);
    case Admission::Duplicate:
      return drop(DropReason::Replayed);
    case Admission::TooOld:
      return drop(DropReason::TooOld);
  }
  if (peerNodeId_.empty()) peerNodeId_ = sender;  // learnt: the first authenticated peer
  ++counters_.accepted;
  return verdict;
}

}  // namespace sipha::agent::heartbeat
