#pragma once
// The backup's end of the replication (docs/replication.md), a pure state machine: it says Hello
// on each new link (its node id, epoch, the stream it follows and the last sequence applied),
// applies a snapshot or the records that follow in order through the Applier, and acknowledges
// what it applied. Nothing partial is applied: a Records frame is decoded whole before any of
// its records is applied, a snapshot counts only once its end arrived (until then the backup
// follows no stream and the next link brings a new snapshot), and any garbled frame, gap or
// stale epoch closes the link (counted). It sends no SIP and runs no timers of the state it
// holds: that is the primary's (ReadyForSwitchover tells when a promotion loses nothing).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "replication/frame.hpp"
#include "replication/frame_out.hpp"
#include "replication/record.hpp"
#include "replication/status.hpp"

namespace sipha::replication {

class Applier {
 public:
  // A snapshot starts: drop the replicated state (bindings, calls held for the peer).
  virtual void beginSnapshot() = 0;
  // One record, of the snapshot or of the stream, in order; the applier may take from it.
  virtual void apply(Record&& record, bool fromSnapshot) = 0;
  virtual void endSnapshot() = 0;

 protected:
  ~Applier() = default;
};

class BackupReplicator {
 public:
  // Called when state() or ready() changes.
  using Listener = std::function<void()>;

  BackupReplicator(Applier& applier, std::string nodeId, ReplicationCounters& counters,
                   Listener listener);

  // Became backup with `epoch` (Connecting) / stopped being backup (Off; nothing is dropped:
  // what was applied becomes the new primary's state).
  void start(std::uint64_t epoch);
  void stop();
  bool active() const noexcept { return state_ != ReplicationState::Off; }
  void setEpoch(std::uint64_t epoch) noexcept { epoch_ = epoch; }

  void connected(FrameOut& link);
  void frame(FrameOut& link, const Frame& frame);
  void lost(FrameOut& link);

  ReplicationState state() const noexcept { return state_; }
  // The snapshot is complete and every record the primary announced has been applied.
  bool ready() const noexcept {
    return state_ == ReplicationState::Streaming && applied_ >= knownHead_;
  }
  std::uint64_t applied() const noexcept { return applied_; }
  std::uint64_t streamId() const noexcept { return streamId_; }
  std::uint64_t knownHead() const noexcept { return knownHead_; }
  std::uint64_t lagRecords() const noexcept {
    return knownHead_ > applied_ ? knownHead_ - applied_ : 0;
  }
  // Why the last link was refused or dropped by us (for the log; empty when none).
  const std::string& lastProblem() const noexcept { return lastProblem_; }

 private:
  void onRecords(FrameOut& link, const Frame& frame);
  void ack(FrameOut& link, FrameType type);
  void fail(FrameOut& link, RefuseReason reason, std::string text);
  void set(ReplicationState state);

  Applier& applier_;
  std::string nodeId_;
  ReplicationCounters& counters_;
  Listener listener_;
  ReplicationState state_ = ReplicationState::Off;
  std::uint64_t epoch_ = 0;
  FrameOut* link_ = nullptr;
  std::uint64_t streamId_ = 0;  // 0: none (no complete snapshot yet)
  std::uint64_t applied_ = 0;
  std::uint64_t knownHead_ = 0;
  bool inSnapshot_ = false;
  std::uint64_t snapshotStream_ = 0;
  bool wasReady_ = false;
  std::vector<Record> decoded_;  // one Records frame, decoded before any is applied
  std::string scratch_;
  std::string lastProblem_;
};

}  // namespace sipha::replication
