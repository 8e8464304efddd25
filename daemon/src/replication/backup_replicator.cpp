#include "replication/backup_replicator.hpp"

#include <utility>

namespace sipha::replication {

BackupReplicator::BackupReplicator(Applier& applier, std::string nodeId,
                                   ReplicationCounters& counters, Listener listener)
    : applier_(applier),
      nodeId_(std::move(nodeId)),
      counters_(counters),
      listener_(std::move(listener)) {}

void BackupReplicator::start(std::uint64_t epoch) {
  epoch_ = epoch;
  if (state_ == ReplicationState::Off) set(ReplicationState::Connecting);
}

void BackupReplicator::stop() {
  link_ = nullptr;
  inSnapshot_ = false;
  // The stream we followed ends with the promotion: a later demotion needs a new snapshot.
  streamId_ = 0;
  set(ReplicationState::Off);
}

void BackupReplicator::connected(FrameOut& link) {
  if (state_ == ReplicationState::Off) return;
  link_ = &link;
  lastProblem_.clear();
  Frame hello;
  hello.type = FrameType::Hello;
  hello.epoch = epoch_;
  hello.nodeId = nodeId_;
  hello.streamId = streamId_;
  hello.sequence = streamId_ == 0 ? 0 : applied_;
  scratch_.clear();
  encodeFrame(hello, scratch_);
  ++counters_.framesOut;
  link.sendFrame(scratch_);
}

void BackupReplicator::lost(FrameOut& link) {
  if (link_ != &link) return;
  link_ = nullptr;
  if (inSnapshot_) {
    inSnapshot_ = false;
    streamId_ = 0;  // the next link brings a whole new snapshot
  }
  if (state_ != ReplicationState::Off) set(ReplicationState::Connecting);
}

void BackupReplicator::frame(FrameOut& link, const Frame& frame) {
  ++counters_.framesIn;
  if (link_ != &link || state_ == ReplicationState::Off) return;
  // A refusal says why itself (a node that is not primary sends epoch 0): not a stale epoch.
  if (frame.epoch < epoch_ && frame.type != FrameType::Refuse) {
    ++counters_.refusedStaleEpoch;
    fail(link, RefuseReason::StaleEpoch,
         "primary epoch " + std::to_string(frame.epoch) + " is older than ours, " +
             std::to_string(epoch_));
    return;
  }
  switch (frame.type) {
    case FrameType::SnapshotBegin:
      applier_.beginSnapshot();
      inSnapshot_ = true;
      snapshotStream_ = frame.streamId;
      streamId_ = 0;
      applied_ = 0;
      set(ReplicationState::Snapshot);
      return;
    case FrameType::SnapshotItem: {
      if (!inSnapshot_ || frame.records.size() != 1) break;
      Record record;
      if (decodeRecord(frame.records.front(), record) != RecordError::None) break;
      applier_.apply(std::move(record), true);
      return;
    }
    case FrameType::SnapshotEnd:
      if (!inSnapshot_) break;
      applier_.endSnapshot();
      inSnapshot_ = false;
      streamId_ = snapshotStream_;
      applied_ = frame.sequence;
      knownHead_ = applied_;
      ++counters_.snapshotsApplied;
      set(ReplicationState::Streaming);
      ack(link, FrameType::Ack);
      return;
    case FrameType::Records:
      if (inSnapshot_ || streamId_ == 0) break;
      onRecords(link, frame);
      return;
    case FrameType::Keepalive:
      if (frame.sequence > knownHead_) knownHead_ = frame.sequence;
      ack(link, FrameType::Keepalive);
      // Following a stream: a resume with nothing to send is streaming from here.
      set(state_ != ReplicationState::Snapshot && streamId_ != 0 ? ReplicationState::Streaming
                                                                 : state_);
      return;
    case FrameType::Refuse:
      if (frame.reason == RefuseReason::NotPrimary) ++counters_.refusedNotPrimary;
      if (frame.reason == RefuseReason::StaleEpoch) ++counters_.refusedStaleEpoch;
      lastProblem_ = std::string{refuseReasonName(frame.reason)} + ": " + frame.text;
      link.closeLink();
      return;
    default:
      break;
  }
  ++counters_.refusedGarbled;
  fail(link, RefuseReason::Protocol, "unexpected or malformed frame");
}

void BackupReplicator::onRecords(FrameOut& link, const Frame& frame) {
  if (frame.sequence != applied_ + 1) {
    ++counters_.refusedGarbled;
    streamId_ = 0;  // we cannot trust our position any more: the next link resnapshots
    fail(link, RefuseReason::Protocol,
         "records start at " + std::to_string(frame.sequence) + ", expected " +
             std::to_string(applied_ + 1));
    return;
  }
  decoded_.resize(frame.records.size());
  for (std::size_t i = 0; i < frame.records.size(); ++i) {
    if (decodeRecord(frame.records[i], decoded_[i]) != RecordError::None) {
      ++counters_.refusedGarbled;
      fail(link, RefuseReason::Protocol, "a record does not decode");
      return;
    }
  }
  for (Record& record : decoded_) applier_.apply(std::move(record), false);
  applied_ += frame.records.size();
  counters_.recordsApplied += frame.records.size();
  if (applied_ > knownHead_) knownHead_ = applied_;
  if (frame.ackRequested) ack(link, FrameType::Ack);  // else with the next Keepalive's answer
  set(ReplicationState::Streaming);
}

void BackupReplicator::ack(FrameOut& link, FrameType type) {
  Frame frame;
  frame.type = type;
  frame.epoch = epoch_;
  frame.sequence = applied_;
  scratch_.clear();
  encodeFrame(frame, scratch_);
  ++counters_.framesOut;
  link.sendFrame(scratch_);
}

void BackupReplicator::fail(FrameOut& link, RefuseReason reason, std::string text) {
  lastProblem_ = std::string{refuseReasonName(reason)} + ": " + text;
  ++counters_.framesOut;
  refuseAndClose(link, epoch_, reason, std::move(text), scratch_);
}

void BackupReplicator::set(ReplicationState state) {
  const bool ready = state == ReplicationState::Streaming && applied_ >= knownHead_;
  if (state == state_ && ready == wasReady_) return;
  state_ = state;
  wasReady_ = ready;
  if (listener_) listener_();
}

}  // namespace sipha::replication
