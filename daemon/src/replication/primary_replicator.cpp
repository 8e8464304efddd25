#include "replication/primary_replicator.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace sipha::replication {

PrimaryReplicator::PrimaryReplicator(StateLog& log, const SnapshotSource& source,
                                     timer::TimerWheel& wheel, PrimarySettings settings,
                                     ReplicationCounters& counters, StateListener listener)
    : log_(log),
      source_(source),
      wheel_(wheel),
      settings_(settings),
      counters_(counters),
      listener_(std::move(listener)) {}

PrimaryReplicator::~PrimaryReplicator() {
  wheel_.cancel(ackTimer_);
  wheel_.cancel(keepaliveTimer_);
  wheel_.cancel(drainTimer_);
}

void PrimaryReplicator::start(std::uint64_t epoch) {
  epoch_ = epoch;
  if (state_ != ReplicationState::Off) return;  // a new epoch while primary: the session goes on
  acked_ = 0;
  setState(ReplicationState::Connecting);
}

void PrimaryReplicator::stop() {
  if (session_ != nullptr) session_->closeLink();
  dropSession();
  releaseWaiters(false);
  releaseDrains(DrainResult::Cancelled);
  setState(ReplicationState::Off);
}

void PrimaryReplicator::connected(FrameOut& link) {
  if (state_ == ReplicationState::Off) {
    refuse(link, RefuseReason::NotPrimary, "this node is not primary");
    return;
  }
  if (session_ != nullptr && session_ != &link) {
    FrameOut* old = session_;
    endSession();  // degrade (if streaming) before the new backup catches up; drains wait for it
    old->closeLink();
  }
  session_ = &link;
  helloSeen_ = false;
}

void PrimaryReplicator::lost(FrameOut& link) {
  if (session_ != &link) return;
  endSession();
  releaseDrains(DrainResult::NoBackup);
}

void PrimaryReplicator::endSession() {
  dropSession();
  if (state_ == ReplicationState::Streaming || state_ == ReplicationState::Snapshot) degrade();
}

void PrimaryReplicator::dropSession() {
  session_ = nullptr;
  helloSeen_ = false;
  wheel_.cancel(keepaliveTimer_);
}

void PrimaryReplicator::frame(FrameOut& link, const Frame& frame) {
  ++counters_.framesIn;
  if (session_ != &link) return;
  switch (frame.type) {
    case FrameType::Hello:
      onHello(link, frame);
      return;
    case FrameType::Ack:
    case FrameType::Keepalive:
      if (helloSeen_) onAck(frame.sequence);
      return;
    case FrameType::Refuse:
      if (frame.reason == RefuseReason::StaleEpoch) ++counters_.refusedStaleEpoch;
      link.closeLink();
      return;
    default:
      ++counters_.refusedGarbled;
      refuse(link, RefuseReason::Protocol, "unexpected frame from a backup");
      return;
  }
}

void PrimaryReplicator::onHello(FrameOut& link, const Frame& hello) {
  if (hello.epoch != epoch_) {
    // Lower: a backup that missed a promotion. Higher: a newer primary exists and we are stale;
    // either way no state crosses (the agent or SetRole settles the epochs).
    ++counters_.refusedStaleEpoch;
    refuse(link, RefuseReason::StaleEpoch,
           "epoch " + std::to_string(hello.epoch) +
               (hello.epoch < epoch_ ? " is older than ours, " : " is newer than ours, ") +
               std::to_string(epoch_));
    return;
  }
  helloSeen_ = true;
  const std::uint64_t head = log_.head();
  const bool sameStream = hello.streamId == log_.streamId() && hello.sequence <= head;
  if (sameStream && (hello.sequence == head || log_.backlog().canResumeAfter(hello.sequence))) {
    ++counters_.resumes;
    sendRecordsAfter(hello.sequence);
  } else {
    ++counters_.snapshotsSent;
    sendSnapshot();
  }
  acked_ = sameStream ? hello.sequence : 0;
  if (acked_ >= head) {
    setState(ReplicationState::Streaming);
  } else if (state_ != ReplicationState::Degraded) {
    setState(ReplicationState::Snapshot);  // a first sync; after a flap it stays Degraded
  }
  armKeepalive();
  checkDrained();  // a backup that resumed at our head holds everything
}

void PrimaryReplicator::sendRecordsAfter(std::uint64_t applied) {
  const std::uint64_t head = log_.head();
  std::uint64_t seq = applied + 1;
  while (seq <= head) {
    scratch_.clear();
    const std::size_t begin = beginRecords(epoch_, seq, scratch_);
    std::uint32_t count = 0;
    while (seq <= head && (count == 0 || scratch_.size() < settings_.recordsFrameBytes)) {
      appendRecordTo(scratch_, log_.backlog().record(seq));
      ++seq;
      ++count;
    }
    finishRecords(scratch_, begin, count);
    counters_.recordsSent += count;
    ++counters_.framesOut;
    session_->sendFrame(scratch_);
  }
}

void PrimaryReplicator::sendSnapshot() {
  const std::uint64_t head = log_.head();
  Frame frame;
  frame.type = FrameType::SnapshotBegin;
  frame.epoch = epoch_;
  frame.streamId = log_.streamId();
  frame.sequence = head;
  sendFrame(frame);
  snapshotRecords_.clear();
  source_.snapshot(snapshotRecords_);
  std::string encoded;
  frame.type = FrameType::SnapshotItem;
  for (const Record& record : snapshotRecords_) {
    encoded.clear();
    if (!encodeRecord(record, encoded)) continue;  // the live stream refused it too (counted)
    frame.records.assign(1, encoded);
    sendFrame(frame);
  }
  snapshotRecords_.clear();
  frame.records.clear();
  frame.type = FrameType::SnapshotEnd;
  sendFrame(frame);
}

void PrimaryReplicator::onRecord(std::uint64_t seq, const Record& record,
                                 std::string_view encoded) {
  if (session_ == nullptr || !helloSeen_) return;
  // A binding's REGISTER waits for the ack (synchronous); so does a return to Streaming. Other
  // records ask for one only as a lag sample: the backup's answers cost both ends a TLS record
  // and a system call each, and calls are asynchronous anyway.
  // While a switchover drain waits, every record asks: the drain ends on the backup's ack.
  bool ackNow = std::holds_alternative<registrar::Event>(record) ||
                state_ != ReplicationState::Streaming || !drains_.empty();
  const std::int64_t now = log_.nowUs();
  if (!ackNow && now - lastAckRequest_ >= settings_.ackSampleMicros) ackNow = true;
  if (ackNow) lastAckRequest_ = now;
  scratch_.clear();
  const std::size_t begin = beginRecords(epoch_, seq, scratch_, ackNow);
  appendRecordTo(scratch_, encoded);
  finishRecords(scratch_, begin, 1);
  ++counters_.recordsSent;
  ++counters_.framesOut;
  session_->sendFrame(scratch_);
}

void PrimaryReplicator::onAck(std::uint64_t seq) {
  ++counters_.acks;
  if (seq > log_.head()) seq = log_.head();  // never believe more than was published
  if (seq <= acked_) return;
  if (log_.backlog().canResumeAfter(seq) && seq >= log_.backlog().first()) {
    const std::int64_t now = log_.nowUs();
    const std::int64_t published = log_.backlog().publishedUs(seq);
    if (now >= published) lag_.add(static_cast<std::uint64_t>(now - published));
  }
  acked_ = seq;
  while (!waiters_.empty() && waiters_.front().seq <= seq) {
    Done done = std::move(waiters_.front().done);
    waiters_.pop_front();
    ++counters_.syncAcked;
    done(true);
  }
  if (waiters_.empty()) wheel_.cancel(ackTimer_);
  if ((state_ == ReplicationState::Snapshot || state_ == ReplicationState::Degraded) &&
      acked_ >= log_.head()) {
    setState(ReplicationState::Streaming);
  }
  checkDrained();
}

DrainResult PrimaryReplicator::drain(timer::Duration timeout, DrainDone done) {
  if (state_ == ReplicationState::Off || session_ == nullptr || !helloSeen_) {
    return DrainResult::NoBackup;
  }
  if (acked_ >= log_.head()) return DrainResult::Drained;
  drains_.push_back({wheel_.clock().now() + timeout, std::move(done)});
  sendKeepalive();  // answered with the backup's applied sequence: no wait for the next one
  armDrainTimer();
  return DrainResult::Pending;
}

void PrimaryReplicator::cancelDrains() { releaseDrains(DrainResult::Cancelled); }

void PrimaryReplicator::checkDrained() {
  if (!drains_.empty() && acked_ >= log_.head()) releaseDrains(DrainResult::Drained);
}

void PrimaryReplicator::releaseDrains(DrainResult result) {
  wheel_.cancel(drainTimer_);
  // Callbacks may drain again or cancel: take the list first.
  std::vector<Drain> drains = std::move(drains_);
  drains_.clear();
  for (Drain& drain : drains) drain.done(result);
}

void PrimaryReplicator::armDrainTimer() {
  wheel_.cancel(drainTimer_);
  if (drains_.empty()) return;
  timer::TimePoint first = drains_.front().deadline;
  for (const Drain& drain : drains_) first = std::min(first, drain.deadline);
  drainTimer_ = wheel_.scheduleAt(first, [this] { onDrainTimer(); });
}

void PrimaryReplicator::onDrainTimer() {
  const timer::TimePoint now = wheel_.clock().now();
  std::vector<Drain> expired;
  for (auto it = drains_.begin(); it != drains_.end();) {
    if (it->deadline <= now) {
      expired.push_back(std::move(*it));
      it = drains_.erase(it);
    } else {
      ++it;
    }
  }
  armDrainTimer();
  for (Drain& drain : expired) drain.done(DrainResult::TimedOut);
}

bool PrimaryReplicator::waitFor(std::uint64_t seq, Done done) {
  if (state_ != ReplicationState::Streaming || seq == 0) {
    if (state_ != ReplicationState::Off) ++counters_.unsyncedAnswers;
    return false;
  }
  if (seq <= acked_) {  // already there: answer at once (`done` never runs from in here)
    ++counters_.syncWaits;
    ++counters_.syncAcked;
    return false;
  }
  ++counters_.syncWaits;
  waiters_.push_back({seq, wheel_.clock().now() + settings_.ackTimeout, std::move(done)});
  armAckTimer();
  return true;
}

void PrimaryReplicator::armAckTimer() {
  if (waiters_.empty() || wheel_.pending(ackTimer_)) return;
  ackTimer_ = wheel_.scheduleAt(waiters_.front().deadline, [this] { onAckTimer(); });
}

void PrimaryReplicator::onAckTimer() {
  if (waiters_.empty()) return;
  if (waiters_.front().deadline <= wheel_.clock().now()) {
    degrade();
    return;
  }
  armAckTimer();
}

void PrimaryReplicator::degrade() {
  ++counters_.degradedEntries;
  setState(ReplicationState::Degraded);
  releaseWaiters(false);
}

void PrimaryReplicator::releaseWaiters(bool replicated) {
  wheel_.cancel(ackTimer_);
  // Callbacks may wait again (they see Degraded and answer at once): take the list first.
  std::deque<Waiter> waiters = std::move(waiters_);
  waiters_.clear();
  for (Waiter& waiter : waiters) {
    if (!replicated) ++counters_.unsyncedAnswers;
    waiter.done(replicated);
  }
}

void PrimaryReplicator::armKeepalive() {
  wheel_.cancel(keepaliveTimer_);
  keepaliveTimer_ = wheel_.schedule(settings_.keepaliveInterval, [this] {
    if (session_ == nullptr || !helloSeen_) return;
    sendKeepalive();
    armKeepalive();
  });
}

void PrimaryReplicator::sendKeepalive() {
  Frame frame;
  frame.type = FrameType::Keepalive;
  frame.epoch = epoch_;
  frame.sequence = log_.head();
  sendFrame(frame);
}

void PrimaryReplicator::refuse(FrameOut& link, RefuseReason reason, std::string text) {
  ++counters_.framesOut;
  refuseAndClose(link, epoch_, reason, std::move(text), scratch_);
  if (session_ == &link) dropSession();
}

void PrimaryReplicator::sendFrame(const Frame& frame) {
  scratch_.clear();
  encodeFrame(frame, scratch_);
  ++counters_.framesOut;
  session_->sendFrame(scratch_);
}

void PrimaryReplicator::setState(ReplicationState state) {
  if (state == state_) return;
  state_ = state;
  if (listener_) listener_(state);
}

std::uint64_t PrimaryReplicator::lagMicros() const {
  const std::uint64_t next = acked_ + 1;
  if (next > log_.head() || !log_.backlog().canResumeAfter(acked_) ||
      next < log_.backlog().first()) {
    return 0;
  }
  const std::int64_t now = log_.nowUs();
  const std::int64_t published = log_.backlog().publishedUs(next);
  return now > published ? static_cast<std::uint64_t>(now - published) : 0;
}

}  // namespace sipha::replication
