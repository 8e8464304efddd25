#pragma once
// The primary's end of the replication (docs/replication.md), a pure state machine: the link and
// the clock are injected (FrameOut, TimerWheel). It reads the StateLog as a consumer and serves
// one backup at a time:
//   - Hello: resume from the backlog when the backup follows this stream and the backlog still
//     holds everything after its last applied sequence, otherwise a snapshot at the head;
//   - every record published afterwards is sent in order; the backup acknowledges by sequence;
//   - synchronous REGISTER (waitFor): while Streaming, the answer waits for the backup's
//     acknowledgement of its records, at most ackTimeout; a wait that times out, or the link
//     going down, makes the stream Degraded: every waiter is released (answered from our own
//     state), and later waits are not made until the backup has caught up again (acked >= head).
//   - fencing: a Hello of another epoch is refused (StaleEpoch) and the link closed.
//   - switchover drain (drain): done once the backup has acknowledged every published record
//     (acked >= head), at most a timeout; meanwhile every record asks for its ack at once.
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "replication/frame.hpp"
#include "replication/frame_out.hpp"
#include "replication/state_log.hpp"
#include "replication/status.hpp"
#include "timer/timer_wheel.hpp"

namespace sipha::replication {

// How a switchover drain ended (PrimaryReplicator::drain, docs/replication.md).
enum class DrainResult : std::uint8_t {
  Pending,    // `done` runs later with one of the others
  Drained,    // the backup acknowledged every record published so far
  NoBackup,   // no backup follows the stream (none said Hello, or its link went down)
  TimedOut,   // not drained within the timeout
  Cancelled,  // cancelDrains() or stop()
};

struct PrimarySettings {
  timer::Duration ackTimeout{300};
  timer::Duration keepaliveInterval{1000};
  std::size_t recordsFrameBytes = 64 * 1024;  // records per Records frame up to about this size
  // Records nobody waits for (calls, trunks) ask for an acknowledgement at most this often (a
  // lag sample); the others are acknowledged with the next Keepalive.
  std::int64_t ackSampleMicros = 10000;
};

class PrimaryReplicator final : public StateConsumer {
 public:
  using Done = std::function<void(bool replicated)>;
  using StateListener = std::function<void(ReplicationState)>;
  using DrainDone = std::function<void(DrainResult)>;

  PrimaryReplicator(StateLog& log, const SnapshotSource& source, timer::TimerWheel& wheel,
                    PrimarySettings settings, ReplicationCounters& counters,
                    StateListener listener);
  ~PrimaryReplicator();
  PrimaryReplicator(const PrimaryReplicator&) = delete;
  PrimaryReplicator& operator=(const PrimaryReplicator&) = delete;

  // Became primary with `epoch` (Connecting until a backup says Hello) / stopped being primary
  // (the session is closed, waiters released, Off).
  void start(std::uint64_t epoch);
  void stop();
  bool active() const noexcept { return state_ != ReplicationState::Off; }

  // The link: a backup connection was opened / sent a frame / went away. A new connection
  // replaces the current one (a half-open old link never blocks a reconnecting backup).
  void connected(FrameOut& link);
  void frame(FrameOut& link, const Frame& frame);
  void lost(FrameOut& link);

  // True: `done` runs later, once the backup acknowledged `seq` (true) or the stream degraded
  // (false); never from inside this call. False: answer at once (`done` is not kept): the
  // backup has `seq` already, or the stream is not synchronous now.
  bool waitFor(std::uint64_t seq, Done done);

  // A switchover drain: Drained or NoBackup at once (`done` is not kept), or Pending: `done` runs
  // later, never from inside this call, once the backup has acknowledged every record published
  // until then (Drained), its link went down (NoBackup), `timeout` passed (TimedOut) or the drain
  // was cancelled. While a drain is pending every record asks for its ack at once, and a
  // Keepalive goes out now so the backup reports what it applied without waiting a second.
  DrainResult drain(timer::Duration timeout, DrainDone done);
  // Every pending drain ends with Cancelled (from inside this call).
  void cancelDrains();
  std::size_t draining() const noexcept { return drains_.size(); }

  void onRecord(std::uint64_t seq, const Record& record, std::string_view encoded) override;

  ReplicationState state() const noexcept { return state_; }
  std::uint64_t acked() const noexcept { return acked_; }
  std::uint64_t epoch() const noexcept { return epoch_; }
  std::size_t waiting() const noexcept { return waiters_.size(); }
  const LagHistogram& lag() const noexcept { return lag_; }
  // Microseconds since the oldest record the backup has not acknowledged was published (0: none).
  std::uint64_t lagMicros() const;

 private:
  struct Waiter {
    std::uint64_t seq;
    timer::TimePoint deadline;
    Done done;
  };
  struct Drain {
    timer::TimePoint deadline;
    DrainDone done;
  };
  void onHello(FrameOut& link, const Frame& hello);
  void onAck(std::uint64_t seq);
  void refuse(FrameOut& link, RefuseReason reason, std::string text);
  void sendFrame(const Frame& frame);
  void sendRecordsAfter(std::uint64_t applied);
  void sendSnapshot();
  void setState(ReplicationState state);
  void degrade();
  void releaseWaiters(bool replicated);
  void armAckTimer();
  void onAckTimer();
  void armKeepalive();
  void dropSession();
  void endSession();
  void sendKeepalive();
  void checkDrained();
  void releaseDrains(DrainResult result);
  void armDrainTimer();
  void onDrainTimer();

  StateLog& log_;
  const SnapshotSource& source_;
  timer::TimerWheel& wheel_;
  PrimarySettings settings_;
  ReplicationCounters& counters_;
  StateListener listener_;
  ReplicationState state_ = ReplicationState::Off;
  std::uint64_t epoch_ = 0;
  FrameOut* session_ = nullptr;  // the backup's connection
  bool helloSeen_ = false;       // records flow only after the Hello was answered
  std::uint64_t acked_ = 0;
  std::deque<Waiter> waiters_;
  timer::TimerHandle ackTimer_;
  timer::TimerHandle keepaliveTimer_;
  std::vector<Drain> drains_;
  timer::TimerHandle drainTimer_;
  LagHistogram lag_;
  std::int64_t lastAckRequest_ = 0;  // StateLog::nowUs of the last record that asked for an ack
  std::string scratch_;
  std::vector<Record> snapshotRecords_;
};

}  // namespace sipha::replication
