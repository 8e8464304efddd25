#include "replication/frame.hpp"

#include <cassert>
#include <utility>

#include "replication/record.hpp"
#include "replication/wire.hpp"

// Fields of each type, after u8 version, u8 type, u64 epoch:
//   Hello          nodeId, u64 streamId, u64 sequence
//   Refuse         u8 reason (1..3), text
//   SnapshotBegin  u64 streamId, u64 sequence
//   SnapshotItem   one record: u32 length (1..kMaxRecordBytes) + bytes
//   SnapshotEnd    u64 sequence
//   Records        u64 first seq (>= 1), u8 flags (bit 0: ack requested; the others 0),
//                  u32 count (>= 1), count x (u32 length + bytes)
//   Ack            u64 sequence
//   Keepalive      u64 sequence, u64 sentAtUsec
namespace sipha::replication {
namespace {

constexpr std::size_t kHeaderBytes = 1 + 1 + 8;
constexpr std::size_t kRecordsCountOffset = kHeaderBytes + 8 + 1;
constexpr std::uint8_t kAckRequested = 1;
// The smallest record as a frame carries it: u32 length + at least one byte.
constexpr std::size_t kMinRecordBytes = 4 + 1;

void putHeader(WireWriter& w, FrameType type, std::uint64_t epoch) {
  w.u8(kFrameVersion);
  w.u8(static_cast<std::uint8_t>(type));
  w.u64(epoch);
}

bool validReason(std::uint8_t reason) noexcept {
  return reason >= static_cast<std::uint8_t>(RefuseReason::StaleEpoch) &&
         reason <= static_cast<std::uint8_t>(RefuseReason::Protocol);
}

bool readRecord(WireReader& r, std::vector<std::string_view>& records) {
  const std::uint32_t length = r.u32();
  if (r.failed() || length == 0 || length > kMaxRecordBytes) return false;
  const std::string_view record = r.bytes(length);
  if (r.failed()) return false;
  records.push_back(record);
  return true;
}

}  // namespace

std::string_view refuseReasonName(RefuseReason reason) noexcept {
  switch (reason) {
    case RefuseReason::StaleEpoch:
      return "stale-epoch";
    case RefuseReason::NotPrimary:
      return "not-primary";
    case RefuseReason::Protocol:
      return "protocol";
  }
  return "unknown";
}

std::string_view frameErrorName(FrameError error) noexcept {
  switch (error) {
    case FrameError::None:
      return "none";
    case FrameError::BadVersion:
      return "bad-version";
    case FrameError::UnknownType:
      return "unknown-type";
    case FrameError::Malformed:
      return "malformed";
  }
  return "unknown";
}

void encodeFrame(const Frame& frame, std::string& out) {
  if (frame.type == FrameType::Records) {
    const std::size_t begin = beginRecords(frame.epoch, frame.sequence, out, frame.ackRequested);
    for (std::string_view record : frame.records) appendRecordTo(out, record);
    finishRecords(out, begin, static_cast<std::uint32_t>(frame.records.size()));
    return;
  }
  WireWriter w(out);
  putHeader(w, frame.type, frame.epoch);
  switch (frame.type) {
    case FrameType::Hello: {
      [[maybe_unused]] const bool ok = w.string(frame.nodeId);
      assert(ok && "node id over kMaxFieldBytes");
      w.u64(frame.streamId);
      w.u64(frame.sequence);
      break;
    }
    case FrameType::Refuse:
      w.u8(static_cast<std::uint8_t>(frame.reason));
      // Only for the log: a text over the limit is cut.
      w.string(std::string_view(frame.text).substr(0, kMaxFieldBytes));
      break;
    case FrameType::SnapshotBegin:
      w.u64(frame.streamId);
      w.u64(frame.sequence);
      break;
    case FrameType::SnapshotItem:
      assert(frame.records.size() == 1 && "a SnapshotItem carries one record");
      appendRecordTo(out, frame.records.empty() ? std::string_view{} : frame.records.front());
      break;
    case FrameType::SnapshotEnd:
    case FrameType::Ack:
      w.u64(frame.sequence);
      break;
    case FrameType::Keepalive:
      w.u64(frame.sequence);
      w.u64(frame.sentAtUsec);
      break;
    case FrameType::Records:
      break;  // above
  }
}

std::size_t beginRecords(std::uint64_t epoch, std::uint64_t firstSeq, std::string& out,
                         bool ackRequested) {
  const std::size_t begin = out.size();
  WireWriter w(out);
  putHeader(w, FrameType::Records, epoch);
  w.u64(firstSeq);
  w.u8(ackRequested ? kAckRequested : 0);
  w.u32(0);  // the count, written by finishRecords
  return begin;
}

void appendRecordTo(std::string& out, std::string_view encodedRecord) {
  assert(!encodedRecord.empty() && encodedRecord.size() <= kMaxRecordBytes);
  WireWriter w(out);
  w.u32(static_cast<std::uint32_t>(encodedRecord.size()));
  w.bytes(encodedRecord);
}

void finishRecords(std::string& out, std::size_t begin, std::uint32_t count) {
  assert(out.size() >= begin + kRecordsCountOffset + 4);
  for (std::size_t i = 0; i < 4; ++i) {
    out[begin + kRecordsCountOffset + i] = static_cast<char>((count >> (8 * i)) & 0xFF);
  }
}

FrameError decodeFrame(std::string_view in, Frame& frame) {
  // Start from a fresh frame, keeping the records' capacity for the next Records frame.
  std::vector<std::string_view> records = std::move(frame.records);
  records.clear();
  frame = Frame{};
  frame.records = std::move(records);

  WireReader r(in);
  const std::uint8_t version = r.u8();
  if (r.failed()) return FrameError::Malformed;
  if (version != kFrameVersion) return FrameError::BadVersion;
  const std::uint8_t type = r.u8();
  if (r.failed()) return FrameError::Malformed;
  if (type < static_cast<std::uint8_t>(FrameType::Hello) ||
      type > static_cast<std::uint8_t>(FrameType::Keepalive)) {
    return FrameError::UnknownType;
  }
  frame.type = static_cast<FrameType>(type);
  frame.epoch = r.u64();
  switch (frame.type) {
    case FrameType::Hello:
      if (!r.string(frame.nodeId)) return FrameError::Malformed;
      frame.streamId = r.u64();
      frame.sequence = r.u64();
      break;
    case FrameType::Refuse: {
      const std::uint8_t reason = r.u8();
      if (r.failed() || !validReason(reason)) return FrameError::Malformed;
      frame.reason = static_cast<RefuseReason>(reason);
      if (!r.string(frame.text)) return FrameError::Malformed;
      break;
    }
    case FrameType::SnapshotBegin:
      frame.streamId = r.u64();
      frame.sequence = r.u64();
      break;
    case FrameType::SnapshotItem:
      if (!readRecord(r, frame.records)) return FrameError::Malformed;
      break;
    case FrameType::SnapshotEnd:
    case FrameType::Ack:
      frame.sequence = r.u64();
      break;
    case FrameType::Keepalive:
      frame.sequence = r.u64();
      frame.sentAtUsec = r.u64();
      break;
    case FrameType::Records: {
      frame.sequence = r.u64();
      const std::uint8_t flags = r.u8();
      frame.ackRequested = (flags & kAckRequested) != 0;
      const std::uint32_t count = r.u32();
      if (r.failed() || (flags & ~kAckRequested) != 0 || frame.sequence == 0 || count == 0 ||
          frame.sequence - 1 > UINT64_MAX - count) {
        return FrameError::Malformed;
      }
      // Each record takes at least kMinRecordBytes: a count the bytes cannot hold is refused
      // before anything is reserved for it.
      if (count > r.rest().size() / kMinRecordBytes) return FrameError::Malformed;
      frame.records.reserve(count);
      for (std::uint32_t i = 0; i < count; ++i) {
        if (!readRecord(r, frame.records)) return FrameError::Malformed;
      }
      break;
    }
  }
  return r.done() ? FrameError::None : FrameError::Malformed;
}

}  // namespace sipha::replication
