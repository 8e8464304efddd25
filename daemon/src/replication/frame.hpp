#pragma once
// Frames of the replication protocol between two sipds (docs/replication.md). The HA link
// (sipha::halink) delimits frames; this is the body of one:
//   u8 version = kFrameVersion, u8 type, u64 epoch (the sender's), then the type's fields.
// Every frame carries the sender's epoch so a stale primary or backup is refused (fencing).
//
//   Hello          backup -> primary on connect: node id, the stream it follows and the last
//                  sequence it applied from it (0, 0: none), so the primary can resume it
//   Refuse         either way, then close: why (RefuseReason) and a text for the log
//   SnapshotBegin  primary -> backup: stream id, the sequence the snapshot stands at
//   SnapshotItem   a record of the snapshot (no sequence of its own)
//   SnapshotEnd    the snapshot is complete: the backup has the state as of SnapshotBegin's seq
//   Records        one or more consecutive stream records: first seq, whether the primary asks
//                  for an acknowledgement now, count, then each record as a length-prefixed string
//   Ack            backup -> primary: the highest sequence applied (at once when asked; else it
//                  rides on the answer to the next Keepalive)
//   Keepalive      primary -> backup: the stream's head sequence and the primary's realtime
//                  clock (the backup computes its lag); backup -> primary: its applied seq
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipha::replication {

inline constexpr std::uint8_t kFrameVersion = 1;

enum class FrameType : std::uint8_t {
  Hello = 1,
  Refuse = 2,
  SnapshotBegin = 3,
  SnapshotItem = 4,
  SnapshotEnd = 5,
  Records = 6,
  Ack = 7,
  Keepalive = 8,
};

enum class RefuseReason : std::uint8_t {
  StaleEpoch = 1,  // the other side's epoch is lower than ours
  NotPrimary = 2,  // a backup was dialled by a backup
  Protocol = 3,    // an unexpected frame
};
std::string_view refuseReasonName(RefuseReason reason) noexcept;

struct Frame {
  FrameType type = FrameType::Keepalive;
  std::uint64_t epoch = 0;
  // Hello
  std::string nodeId;
  std::uint64_t streamId = 0;  // Hello, SnapshotBegin
  std::uint64_t sequence = 0;  // Hello: last applied; SnapshotBegin/End: the snapshot's seq;
                               // Records: the first record's seq; Ack/Keepalive: applied/head
  // Refuse
  RefuseReason reason = RefuseReason::Protocol;
  std::string text;
  // Keepalive (primary -> backup)
  std::uint64_t sentAtUsec = 0;
  // Records: acknowledge at once (a REGISTER waits for it, or a lag sample)
  bool ackRequested = true;
  // SnapshotItem: one encoded record; Records: each encoded record (views into the frame bytes
  // after decodeFrame: valid as long as they are)
  std::vector<std::string_view> records;

  // Compares the records' bytes, not where they are.
  friend bool operator==(const Frame&, const Frame&) = default;
};

// Appends the body of `frame` to `out` (SnapshotItem/Records take their records from
// frame.records). Encoders for the hot path that avoid building a Frame:
void encodeFrame(const Frame& frame, std::string& out);
// Starts a Records frame whose records are appended with appendRecordTo; finishRecords writes
// the count. `out` must not be touched in between.
std::size_t beginRecords(std::uint64_t epoch, std::uint64_t firstSeq, std::string& out,
                         bool ackRequested = true);
void appendRecordTo(std::string& out, std::string_view encodedRecord);
void finishRecords(std::string& out, std::size_t begin, std::uint32_t count);

enum class FrameError : std::uint8_t { None, BadVersion, UnknownType, Malformed };
std::string_view frameErrorName(FrameError error) noexcept;
// Decodes one whole frame body; `frame.records` views into `in`. Refuses trailing bytes.
FrameError decodeFrame(std::string_view in, Frame& frame);

}  // namespace sipha::replication
