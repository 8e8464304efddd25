// Both ends of the replication driven together through an in-memory link and a manual clock
// (docs/replication.md): snapshot on connect, ordered streaming with acknowledgements,
// synchronous waits and the degraded state, resume from the backlog after a flap, a new
// snapshot past it, fencing by epoch, and garbled or out-of-order frames.
#include <boost/test/unit_test.hpp>
#include <deque>
#include <string>
#include <vector>

#include "replication/backup_replicator.hpp"
#include "replication/primary_replicator.hpp"
#include "replication/state_log.hpp"
#include "timer/clock.hpp"
#include "timer/timer_wheel.hpp"

namespace sipha::replication {
namespace {

registrar::Event binding(std::uint64_t seq, const std::string& user) {
  registrar::Event e;
  e.seq = seq;
  e.kind = registrar::EventKind::Added;
  e.aor = user + "@example.com";
  e.contactUri = "sip:" + user + "@192.0.2.1";
  e.callId = "c" + user;
  e.cseq = 1;
  e.expiresAt = 2'000'000'000;
  return e;
}

// One end of the in-memory link: frames sent here are queued for the other end.
struct Pipe final : FrameOut {
  std::deque<std::string> frames;
  bool closed = false;
  void sendFrame(std::string_view body) override {
    if (!closed) frames.emplace_back(body);
  }
  void closeLink() override { closed = true; }
};

// The primary's state: a registrar-like list of bindings it snapshots.
struct Source final : SnapshotSource {
  std::vector<registrar::Event> bindings;
  void snapshot(std::vector<Record>& out) const override {
    for (const auto& b : bindings) out.emplace_back(b);
  }
};

struct Replica final : Applier {
  std::vector<std::string> applied;  // aors in order
  int snapshots = 0;
  bool inSnapshot = false;
  void beginSnapshot() override {
    ++snapshots;
    inSnapshot = true;
    applied.clear();
  }
  void apply(Record&& record, bool fromSnapshot) override {
    BOOST_TEST(fromSnapshot == inSnapshot);
    const auto* binding = std::get_if<registrar::Event>(&record);
    applied.push_back(binding ? binding->aor : std::string{kindName(kindOf(record))});
  }
  void endSnapshot() override { inSnapshot = false; }
};

struct Fixture {
  timer::ManualClock clock{timer::TimePoint{timer::Duration{1000}}};
  timer::TimerWheel wheel{clock};
  std::int64_t nowUs = 0;
  StateLog log{1000, 1 << 20, [this] { return nowUs; }, 77};
  Source source;
  Replica replica;
  ReplicationCounters primaryCounters, backupCounters;
  std::vector<ReplicationState> primaryStates;
  PrimaryReplicator primary{
      log, source, wheel, PrimarySettings{}, primaryCounters, [this](ReplicationState s) {
        primaryStates.push_back(s);
      }};
  BackupReplicator backup{replica, "b", backupCounters, {}};
  Pipe toBackup, toPrimary;  // what the primary sent / what the backup sent

  Fixture() {
    log.addConsumer(&primary);
    primary.start(1);
    backup.start(1);
  }
  std::uint64_t publish(const std::string& user) {
    auto e = binding(log.head() + 1, user);
    source.bindings.push_back(e);
    return log.publish(e);
  }
  void connect() {
    toBackup = Pipe{};
    toPrimary = Pipe{};
    primary.connected(toBackup);
    backup.connected(toPrimary);
  }
  void disconnect() {
    primary.lost(toBackup);
    backup.lost(toPrimary);
  }
  // Delivers queued frames both ways until both queues are empty (or a side closed).
  void pump() {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      while (!toPrimary.frames.empty() && !toPrimary.closed) {
        std::string bytes = std::move(toPrimary.frames.front());
        toPrimary.frames.pop_front();
        Frame frame;
        BOOST_REQUIRE(decodeFrame(bytes, frame) == FrameError::None);
        primary.frame(toBackup, frame);
        moved = true;
      }
      while (!toBackup.frames.empty() && !toBackup.closed) {
        std::string bytes = std::move(toBackup.frames.front());
        toBackup.frames.pop_front();
        Frame frame;
        BOOST_REQUIRE(decodeFrame(bytes, frame) == FrameError::None);
        backup.frame(toPrimary, frame);
        moved = true;
      }
      if (!moved) return;
    }
  }
  void advance(int ms) {
    clock.advance(timer::Duration{ms});
    wheel.advance();
  }
};

BOOST_AUTO_TEST_SUITE(replicator)

BOOST_FIXTURE_TEST_CASE(snapshot_on_first_connect_then_ordered_stream, Fixture) {
  for (int i = 0; i < 5; ++i) publish("u" + std::to_string(i));
  connect();
  BOOST_TEST(!backup.ready());
  pump();
  BOOST_TEST(replica.snapshots == 1);
  BOOST_TEST(replica.applied.size() == 5u);
  BOOST_TEST(backup.ready());
  BOOST_TEST(backup.applied() == 5u);
  BOOST_TEST((primary.state() == ReplicationState::Streaming));
  BOOST_TEST(primaryCounters.snapshotsSent == 1u);

  publish("late1");
  publish("late2");
  pump();
  BOOST_TEST(replica.applied.size() == 7u);
  BOOST_TEST(replica.applied.back() == "late2@example.com");
  BOOST_TEST(primary.acked() == 7u);
}

BOOST_FIXTURE_TEST_CASE(a_wait_completes_on_the_backups_ack, Fixture) {
  connect();
  pump();
  BOOST_REQUIRE((primary.state() == ReplicationState::Streaming));
  const std::uint64_t seq = publish("r");
  int calls = 0;
  bool replicated = false;
  BOOST_TEST(primary.waitFor(seq, [&](bool ok) {
    ++calls;
    replicated = ok;
  }));
  BOOST_TEST(calls == 0);  // not before the ack
  pump();
  BOOST_TEST(calls == 1);
  BOOST_TEST(replicated);
  BOOST_TEST(primaryCounters.syncAcked == 1u);
}

BOOST_FIXTURE_TEST_CASE(no_ack_in_time_degrades_and_catching_up_restores, Fixture) {
  connect();
  pump();
  const std::uint64_t seq = publish("slow");
  bool replicated = true;
  int calls = 0;
  BOOST_TEST(primary.waitFor(seq, [&](bool ok) {
    ++calls;
    replicated = ok;
  }));
  advance(299);
  BOOST_TEST(calls == 0);
  advance(2);
  BOOST_TEST(calls == 1);
  BOOST_TEST(!replicated);
  BOOST_TEST((primary.state() == ReplicationState::Degraded));
  // Degraded: answers are not held.
  BOOST_TEST(!primary.waitFor(publish("meanwhile"), [](bool) {}));
  BOOST_TEST(primaryCounters.unsyncedAnswers == 2u);
  pump();  // the backup catches up
  BOOST_TEST((primary.state() == ReplicationState::Streaming));
  BOOST_TEST(primary.waitFor(publish("again"), [](bool) {}));
}

BOOST_FIXTURE_TEST_CASE(link_loss_releases_waiters_and_a_flap_resumes_from_the_backlog, Fixture) {
  for (int i = 0; i < 3; ++i) publish("a" + std::to_string(i));
  connect();
  pump();
  bool replicated = true;
  BOOST_TEST(primary.waitFor(publish("inflight"), [&](bool ok) { replicated = ok; }));
  disconnect();
  BOOST_TEST(!replicated);
  BOOST_TEST((primary.state() == ReplicationState::Degraded));
  BOOST_TEST(!backup.ready());
  publish("while-away-1");
  publish("while-away-2");
  connect();
  pump();
  BOOST_TEST(primaryCounters.resumes == 1u);
  BOOST_TEST(primaryCounters.snapshotsSent == 1u);  // only the first
  BOOST_TEST(replica.snapshots == 1);
  BOOST_TEST(replica.applied.size() == 6u);
  BOOST_TEST(replica.applied.back() == "while-away-2@example.com");
  BOOST_TEST(backup.ready());
  BOOST_TEST((primary.state() == ReplicationState::Streaming));
}

BOOST_FIXTURE_TEST_CASE(behind_the_backlog_gets_a_new_snapshot, Fixture) {
  StateLog small{2, 1 << 20, [] { return 0; }, 5};
  Source src;
  PrimaryReplicator p{small, src, wheel, PrimarySettings{}, primaryCounters, {}};
  small.addConsumer(&p);
  p.start(1);
  Pipe out, in;
  p.connected(out);
  backup.connected(in);
  auto deliver = [&] {
    for (int round = 0; round < 50; ++round) {
      bool moved = false;
      while (!in.frames.empty()) {
        Frame f;
        std::string b = std::move(in.frames.front());
        in.frames.pop_front();
        BOOST_REQUIRE(decodeFrame(b, f) == FrameError::None);
        p.frame(out, f);
        moved = true;
      }
      while (!out.frames.empty()) {
        Frame f;
        std::string b = std::move(out.frames.front());
        out.frames.pop_front();
        BOOST_REQUIRE(decodeFrame(b, f) == FrameError::None);
        backup.frame(in, f);
        moved = true;
      }
      if (!moved) return;
    }
  };
  deliver();
  p.lost(out);
  backup.lost(in);
  for (int i = 0; i < 5; ++i) {
    auto e = binding(i + 1, "x" + std::to_string(i));
    src.bindings.push_back(e);
    small.publish(e);
  }
  out = Pipe{};
  in = Pipe{};
  p.connected(out);
  backup.connected(in);
  deliver();
  BOOST_TEST(primaryCounters.snapshotsSent == 2u);
  BOOST_TEST(primaryCounters.resumes == 0u);
  BOOST_TEST(replica.applied.size() == 5u);
  BOOST_TEST(backup.ready());
}

BOOST_FIXTURE_TEST_CASE(another_epoch_is_refused_both_ways, Fixture) {
  backup.setEpoch(0);
  connect();
  pump();
  BOOST_TEST(primaryCounters.refusedStaleEpoch == 1u);
  BOOST_TEST(toBackup.closed);
  BOOST_TEST(!backup.ready());
  BOOST_TEST(replica.snapshots == 0);

  // A backup that knows a newer epoch refuses frames of the old primary.
  Fixture f2;
  f2.backup.setEpoch(3);
  f2.primary.start(3);  // same epoch for the hello ...
  f2.connect();
  f2.primary.stop();
  f2.primary.start(2);  // ... but the primary fell back (impossible in practice): refused
  f2.publish("x");
  Frame records;
  records.type = FrameType::Keepalive;
  records.epoch = 2;
  f2.backup.frame(f2.toPrimary, records);
  BOOST_TEST(f2.backupCounters.refusedStaleEpoch == 1u);
  BOOST_TEST(f2.toPrimary.closed);
}

BOOST_AUTO_TEST_CASE(a_refusal_from_a_node_that_is_not_primary_is_counted_as_such) {
  // A node whose primary replicator never ran refuses with epoch 0: that is "not primary",
  // not a stale epoch (the fault matrix saw the wrong counter and log line at every start).
  Fixture f;
  f.backup.setEpoch(1);
  f.primary.start(1);
  f.connect();
  Frame refuse;
  refuse.type = FrameType::Refuse;
  refuse.reason = RefuseReason::NotPrimary;
  refuse.epoch = 0;
  f.backup.frame(f.toPrimary, refuse);
  BOOST_TEST(f.backupCounters.refusedNotPrimary == 1u);
  BOOST_TEST(f.backupCounters.refusedStaleEpoch == 0u);
  BOOST_TEST(f.toPrimary.closed);
}

BOOST_FIXTURE_TEST_CASE(a_garbled_record_applies_nothing_of_its_frame, Fixture) {
  connect();
  pump();
  std::string bytes;
  const std::size_t begin = beginRecords(1, 1, bytes);
  std::string good;
  BOOST_REQUIRE(encodeRecord(Record{binding(1, "ok")}, good));
  appendRecordTo(bytes, good);
  appendRecordTo(bytes, "\x01\x63junk");
  finishRecords(bytes, begin, 2);
  Frame frame;
  BOOST_REQUIRE(decodeFrame(bytes, frame) == FrameError::None);
  backup.frame(toPrimary, frame);
  BOOST_TEST(replica.applied.empty());
  BOOST_TEST(backupCounters.refusedGarbled == 1u);
  BOOST_TEST(toPrimary.closed);
}

BOOST_FIXTURE_TEST_CASE(a_gap_closes_and_forces_a_new_snapshot, Fixture) {
  connect();
  pump();
  std::string bytes;
  const std::size_t begin = beginRecords(1, 5, bytes);  // expected 1
  std::string good;
  BOOST_REQUIRE(encodeRecord(Record{binding(5, "gap")}, good));
  appendRecordTo(bytes, good);
  finishRecords(bytes, begin, 1);
  Frame frame;
  BOOST_REQUIRE(decodeFrame(bytes, frame) == FrameError::None);
  backup.frame(toPrimary, frame);
  BOOST_TEST(toPrimary.closed);
  BOOST_TEST(backup.streamId() == 0u);
  disconnect();
  publish("after");
  connect();
  pump();
  BOOST_TEST(replica.snapshots == 2);
  BOOST_TEST(primaryCounters.snapshotsSent == 2u);
}

// Records nobody waits for (a call's, a trunk's) ask for an immediate acknowledgement only as a
// lag sample; the others are acknowledged by the answer to the next Keepalive. A binding always
// asks (its REGISTER waits).
BOOST_FIXTURE_TEST_CASE(records_nobody_waits_for_are_acknowledged_lazily, Fixture) {
  connect();
  pump();
  nowUs = 1'000'000;
  log.publish(TrunkRecord{"gw", "sip:192.0.2.1", false, 2, 0});  // the first: a lag sample
  pump();
  BOOST_TEST(primary.acked() == log.head());
  const auto lagSamples = primary.lag().count();
  nowUs += 100;  // within the sample interval
  log.publish(TrunkRecord{"gw", "sip:192.0.2.1", true, 1, 0});
  pump();
  BOOST_TEST(replica.applied.size() == 2u);       // applied at once ...
  BOOST_TEST(primary.acked() == log.head() - 1);  // ... acknowledged later
  BOOST_TEST(primary.lag().count() == lagSamples);
  advance(1000);  // the Keepalive; its answer carries the applied sequence
  pump();
  BOOST_TEST(primary.acked() == log.head());
  nowUs += 100;
  bool replicated = false;
  BOOST_TEST(primary.waitFor(publish("sync"), [&](bool ok) { replicated = ok; }));
  pump();
  BOOST_TEST(replicated);  // a binding asks for its acknowledgement at once
}

// SetRole(primary, epoch+1) on a primary that streams: the session goes on (the backup learns
// the new epoch from the frames; its own comes from SetRole).
BOOST_FIXTURE_TEST_CASE(a_new_epoch_while_primary_keeps_the_session, Fixture) {
  connect();
  pump();
  publish("before");
  pump();
  const auto acked = primary.acked();
  primary.start(2);
  BOOST_TEST(primary.epoch() == 2u);
  BOOST_TEST(primary.acked() == acked);
  BOOST_TEST((primary.state() == ReplicationState::Streaming));
  bool replicated = false;
  BOOST_TEST(primary.waitFor(publish("after"), [&](bool ok) { replicated = ok; }));
  pump();
  BOOST_TEST(replicated);
  BOOST_TEST(replica.applied.back() == "after@example.com");
}

// A switchover drain (docs/replication.md "Switchover drain") ends once the backup has
// acknowledged every published record. A record nobody waits for is acknowledged lazily, so the
// drain asks at once (a Keepalive) instead of waiting for the next one, and while it waits every
// record asks for its acknowledgement.
BOOST_FIXTURE_TEST_CASE(a_drain_ends_when_the_backup_acknowledged_everything, Fixture) {
  connect();
  pump();
  nowUs = 1'000'000;
  log.publish(TrunkRecord{"gw", "sip:192.0.2.1", false, 2, 0});  // a lag sample: acked
  pump();
  nowUs += 100;
  log.publish(TrunkRecord{"gw", "sip:192.0.2.1", true, 1, 0});  // acknowledged lazily
  pump();
  BOOST_REQUIRE(primary.acked() == log.head() - 1);
  std::vector<DrainResult> results;
  BOOST_TEST((primary.drain(timer::Duration{500}, [&](DrainResult r) { results.push_back(r); }) ==
              DrainResult::Pending));
  BOOST_TEST(primary.draining() == 1u);
  nowUs += 100;  // within the sample interval, yet it asks: a drain waits
  log.publish(TrunkRecord{"gw", "sip:192.0.2.2", true, 1, 0});
  Frame last;
  BOOST_REQUIRE(decodeFrame(toBackup.frames.back(), last) == FrameError::None);
  BOOST_TEST((last.type == FrameType::Records));
  BOOST_TEST(last.ackRequested);
  BOOST_TEST(results.empty());  // never from inside drain(), nor before the ack
  pump();                       // no clock movement: the Keepalive went out with the drain
  BOOST_TEST((results == std::vector<DrainResult>{DrainResult::Drained}));
  BOOST_TEST(primary.acked() == log.head());
  BOOST_TEST(primary.draining() == 0u);
  // Nothing pending any more: records nobody waits for are lazy again.
  nowUs += 100;
  log.publish(TrunkRecord{"gw", "sip:192.0.2.2", false, 2, 0});
  BOOST_REQUIRE(decodeFrame(toBackup.frames.back(), last) == FrameError::None);
  BOOST_TEST(!last.ackRequested);
}

BOOST_FIXTURE_TEST_CASE(a_drain_answers_at_once_without_a_backup_or_when_in_sync, Fixture) {
  int calls = 0;
  const auto count = [&](DrainResult) { ++calls; };
  publish("before-any-backup");
  BOOST_TEST((primary.drain(timer::Duration{500}, count) == DrainResult::NoBackup));
  connect();  // connected, but no Hello answered yet
  BOOST_TEST((primary.drain(timer::Duration{500}, count) == DrainResult::NoBackup));
  pump();
  BOOST_REQUIRE(primary.acked() == log.head());
  BOOST_TEST((primary.drain(timer::Duration{500}, count) == DrainResult::Drained));
  primary.stop();
  BOOST_TEST((primary.drain(timer::Duration{500}, count) == DrainResult::NoBackup));
  BOOST_TEST(calls == 0);  // `done` is not kept when the answer is immediate
  BOOST_TEST(primary.draining() == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_silent_backup_times_the_drain_out_and_the_link_stays, Fixture) {
  connect();
  pump();
  publish("unacknowledged");  // never delivered: the backup is silent
  std::vector<DrainResult> results;
  const auto record = [&](DrainResult r) { results.push_back(r); };
  BOOST_TEST((primary.drain(timer::Duration{200}, record) == DrainResult::Pending));
  advance(100);
  BOOST_TEST((primary.drain(timer::Duration{50}, record) == DrainResult::Pending));
  advance(49);
  BOOST_TEST(results.empty());
  advance(1);  // the second one's deadline comes first
  BOOST_TEST((results == std::vector<DrainResult>{DrainResult::TimedOut}));
  advance(49);
  BOOST_TEST(results.size() == 1u);
  advance(1);
  BOOST_TEST(results.size() == 2u);
  BOOST_TEST(primary.draining() == 0u);
  BOOST_TEST(!toBackup.closed);
  pump();  // the backup catches up later; nothing is left to answer
  BOOST_TEST(primary.acked() == log.head());
  BOOST_TEST(results.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(the_backups_link_going_down_ends_a_drain_with_no_backup, Fixture) {
  connect();
  pump();
  publish("in-flight");
  std::vector<DrainResult> results;
  BOOST_TEST((primary.drain(timer::Duration{500}, [&](DrainResult r) { results.push_back(r); }) ==
              DrainResult::Pending));
  disconnect();
  BOOST_TEST((results == std::vector<DrainResult>{DrainResult::NoBackup}));
  advance(600);
  BOOST_TEST(results.size() == 1u);
}

// A backup that reconnects (its new connection replaces a half-open one) lets the drain go on:
// it resumes from the backlog and acknowledges the head.
BOOST_FIXTURE_TEST_CASE(a_reconnecting_backup_still_completes_a_drain, Fixture) {
  connect();
  pump();
  publish("in-flight");
  std::vector<DrainResult> results;
  BOOST_TEST((primary.drain(timer::Duration{500}, [&](DrainResult r) { results.push_back(r); }) ==
              DrainResult::Pending));
  Pipe toBackup2, toPrimary2;
  primary.connected(toBackup2);  // replaces toBackup, which is closed
  BOOST_TEST(toBackup.closed);
  BOOST_TEST(results.empty());
  backup.lost(toPrimary);
  backup.connected(toPrimary2);
  for (int round = 0; round < 10; ++round) {
    while (!toPrimary2.frames.empty()) {
      Frame frame;
      std::string bytes = std::move(toPrimary2.frames.front());
      toPrimary2.frames.pop_front();
      BOOST_REQUIRE(decodeFrame(bytes, frame) == FrameError::None);
      primary.frame(toBackup2, frame);
    }
    while (!toBackup2.frames.empty()) {
      Frame frame;
      std::string bytes = std::move(toBackup2.frames.front());
      toBackup2.frames.pop_front();
      BOOST_REQUIRE(decodeFrame(bytes, frame) == FrameError::None);
      backup.frame(toPrimary2, frame);
    }
  }
  BOOST_TEST(primaryCounters.resumes == 1u);
  BOOST_TEST((results == std::vector<DrainResult>{DrainResult::Drained}));
}

BOOST_FIXTURE_TEST_CASE(cancelled_drains_and_a_stop_answer_cancelled, Fixture) {
  connect();
  pump();
  publish("in-flight");
  std::vector<DrainResult> results;
  const auto record = [&](DrainResult r) { results.push_back(r); };
  BOOST_TEST((primary.drain(timer::Duration{500}, record) == DrainResult::Pending));
  BOOST_TEST((primary.drain(timer::Duration{500}, record) == DrainResult::Pending));
  primary.cancelDrains();
  BOOST_TEST((results == std::vector<DrainResult>{DrainResult::Cancelled, DrainResult::Cancelled}));
  BOOST_TEST((primary.drain(timer::Duration{500}, record) == DrainResult::Pending));
  primary.stop();  // demoted
  BOOST_TEST(results.size() == 3u);
  BOOST_TEST((results.back() == DrainResult::Cancelled));
  advance(600);
  BOOST_TEST(results.size() == 3u);
}

// Without a reader of the bytes (no peer) the log neither encodes nor keeps a backlog; its
// consumers (the journal) still get every record in order.
BOOST_AUTO_TEST_CASE(a_log_without_encoding_still_orders_its_records) {
  struct Reader final : StateConsumer {
    std::vector<std::uint64_t> seqs;
    std::size_t bytes = 0;
    void onRecord(std::uint64_t seq, const Record&, std::string_view encoded) override {
      seqs.push_back(seq);
      bytes += encoded.size();
    }
  } reader;
  StateLog plain{1000, 1 << 20, [] { return 0; }, 9, false};
  plain.addConsumer(&reader);
  BOOST_TEST(plain.publish(binding(1, "a")) == 1u);
  BOOST_TEST(plain.publish(binding(2, "b")) == 2u);
  BOOST_TEST((reader.seqs == std::vector<std::uint64_t>{1, 2}));
  BOOST_TEST(reader.bytes == 0u);
  BOOST_TEST(plain.backlog().empty());
  BOOST_TEST(plain.counters().published == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::replication
