// The role decision rule by rule (docs/ha-agent.md, "Rules"): one RoleMachine driven through a
// fake driver that answers the witness and service address probes and the epoch writes as told.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "decision/role_machine.hpp"

namespace sipha::agent {
namespace {

using namespace std::chrono_literals;

DecisionConfig config(std::string nodeId) {
  DecisionConfig c;
  c.nodeId = std::move(nodeId);
  return c;
}

PeerState peer(Role role, std::uint64_t epoch, std::string nodeId = "b") {
  PeerState p;
  p.nodeId = std::move(nodeId);
  p.role = role;
  p.epoch = epoch;
  p.witnessOk = true;
  return p;
}

// Probe awareness on, with the reference monitor's 4 s timeout.
DecisionConfig monitoring(std::string nodeId) {
  DecisionConfig c = config(std::move(nodeId));
  c.monitorTimeout = 4000ms;
  return c;
}

// The machine with a driver that answers what it asks at once (unless `manual`), as set here.
struct Node {
  explicit Node(std::string id = "a") : machine(config(std::move(id))) {}
  explicit Node(DecisionConfig c) : machine(std::move(c)) {}

  RoleMachine machine;
  TimePoint now{1000ms};
  std::uint64_t seq = 0;
  // What the driver answers.
  bool witness = true;
  ServiceAddress service = ServiceAddress::NotServed;
  std::string server = "b";
  std::uint64_t serverEpoch = 0;
  bool persistOk = true;
  bool holdPersist = false;  // EpochPersisted is sent by the test
  bool manual = false;       // nothing is answered
  // What happened.
  std::vector<Action> actions;  // every action, in order
  Role role = Role::Backup;
  std::uint64_t roleEpoch = 0;
  std::uint64_t disk = 0;

  void handle(const Event& event) {
    RoleMachine::Actions out;
    machine.handle(event, out);
    std::vector<Event> answers;
    for (const Action& a : out) {
      actions.push_back(a);
      if (const auto* set = std::get_if<SetRole>(&a)) {
        BOOST_TEST(set->epoch >= roleEpoch);  // sipd would refuse a lower one
        if (set->role == Role::Primary) BOOST_TEST(disk >= set->epoch);
        role = set->role;
        roleEpoch = set->epoch;
      }
      if (manual) continue;
      if (std::holds_alternative<ProbeWitness>(a)) answers.push_back(WitnessResult{now, witness});
      if (std::holds_alternative<ProbeServiceAddress>(a))
        answers.push_back(ServiceAddressProbed{now, service, server, serverEpoch});
      if (const auto* p = std::get_if<PersistEpoch>(&a); p && !holdPersist) {
        if (persistOk) disk = std::max(disk, p->epoch);
        answers.push_back(EpochPersisted{now, p->epoch, persistOk});
      }
    }
    for (const Event& e : answers) handle(e);
  }

  void boot(std::uint64_t persisted = 0) {
    disk = persisted;
    handle(Boot{now, persisted});
  }
  void advance(Duration d) {
    // Ticks every 10 ms, as a driver would at least every heartbeat interval.
    const TimePoint end = now + d;
    while (now < end) {
      now = std::min(end, now + 10ms);
      handle(Tick{now});
    }
  }
  void hear(const PeerState& state, Path path = Path::HaLink) {
    handle(HeartbeatReceived{now, path, state, ++seq});
  }
  // The peer heard on both paths every 20 ms for `d`.
  void hearFor(const PeerState& state, Duration d) {
    const TimePoint end = now + d;
    while (now < end) {
      hear(state, Path::HaLink);
      hear(state, Path::Service);
      advance(20ms);
    }
  }
  void sipd(SipdHealth health, bool ready = false) { handle(LocalSipdState{now, health, ready}); }

  Phase phase() const { return machine.state().phase; }
  std::size_t count(auto predicate) const {
    std::size_t n = 0;
    for (const Action& a : actions) n += predicate(a) ? 1 : 0;
    return n;
  }
  template <typename A>
  std::size_t count() const {
    return count([](const Action& a) { return std::holds_alternative<A>(a); });
  }
  const History* lastHistory() const {
    for (auto it = actions.rbegin(); it != actions.rend(); ++it)
      if (const auto* h = std::get_if<History>(&*it)) return h;
    return nullptr;
  }
  const SendHeartbeat* lastHeartbeat() const {
    for (auto it = actions.rbegin(); it != actions.rend(); ++it)
      if (const auto* h = std::get_if<SendHeartbeat>(&*it)) return h;
    return nullptr;
  }
  // Index of the first action matching, or npos.
  std::size_t indexOf(auto predicate) const {
    for (std::size_t i = 0; i < actions.size(); ++i)
      if (predicate(actions[i])) return i;
    return std::string::npos;
  }
};

// A primary of `epoch` with a healthy, ready backup "b" heard on both paths.
Node primaryWithBackup(std::uint64_t epoch = 0) {
  Node node;
  node.boot(epoch);
  node.sipd(SipdHealth::Alive, true);
  PeerState backup = peer(Role::Backup, epoch);
  node.hearFor(backup, 100ms);  // "a" wins the tie-break (equal epochs, a < b)
  BOOST_REQUIRE(node.role == Role::Primary);
  backup.ready = true;
  node.hearFor(backup, 40ms);
  return node;
}

BOOST_AUTO_TEST_SUITE(role_machine)

BOOST_AUTO_TEST_CASE(the_defaults_validate_and_bad_relations_are_refused) {
  BOOST_TEST(validate(config("a")).empty());
  DecisionConfig c = config("");
  c.deadInterval = 40ms;  // two heartbeats: one lost heartbeat would flap
  c.startupWait = 30ms;   // shorter than the dead interval
  c.witnessDeadInterval = 20ms;
  const auto problems = validate(c);
  BOOST_TEST(problems.size() == 4u);
}

BOOST_AUTO_TEST_CASE(a_node_boots_as_backup_and_drops_a_role_left_behind) {
  Node node;
  node.manual = true;
  node.boot(5);
  BOOST_REQUIRE(!node.actions.empty());
  const auto* set = std::get_if<SetRole>(&node.actions.front());
  BOOST_REQUIRE(set != nullptr);
  BOOST_TEST((set->role == Role::Backup && set->epoch == 5u));
  BOOST_TEST((node.phase() == Phase::Starting));
  BOOST_TEST(node.count<ProbeWitness>() == 1u);
  BOOST_TEST(node.count<SendHeartbeat>() == 2u);  // both paths
  BOOST_TEST((node.lastHeartbeat()->state.role == Role::Backup));
  BOOST_TEST(node.lastHeartbeat()->state.epoch == 5u);
}

BOOST_AUTO_TEST_CASE(events_before_boot_are_ignored) {
  Node node;
  node.handle(Tick{node.now});
  node.hear(peer(Role::Primary, 3));
  BOOST_TEST(node.actions.empty());
}

BOOST_AUTO_TEST_CASE(a_lone_node_waits_the_startup_time_then_promotes_with_the_next_epoch) {
  Node node;
  node.boot(4);
  node.advance(2990ms);
  BOOST_TEST((node.role == Role::Backup));
  BOOST_TEST((node.phase() == Phase::Starting));
  node.advance(20ms);
  BOOST_TEST((node.role == Role::Primary));
  BOOST_TEST(node.roleEpoch == 5u);
  BOOST_TEST(node.disk == 5u);
  const History* h = node.lastHistory();
  BOOST_REQUIRE(h != nullptr);
  BOOST_TEST((h->reason == Reason::PeerSilent));
  BOOST_TEST(h->notReady);  // a lone node's sipd follows nobody
}

BOOST_AUTO_TEST_CASE(
    the_promotion_asks_the_witness_then_writes_the_epoch_then_checks_the_service_address) {
  Node node;
  node.holdPersist = true;
  node.boot(0);
  node.advance(3000ms);
  BOOST_TEST((node.phase() == Phase::Promoting));
  BOOST_TEST(node.count<PersistEpoch>() == 1u);
  BOOST_TEST(node.count<ProbeServiceAddress>() == 0u);
  // Time passes while the disk is slow: nothing is promoted before the epoch is on disk.
  node.advance(50ms);
  BOOST_TEST((node.role == Role::Backup));
  BOOST_TEST(node.count<PersistEpoch>() == 1u);
  node.disk = 1;
  node.handle(EpochPersisted{node.now, 1, true});
  BOOST_TEST((node.role == Role::Primary));
  BOOST_TEST(node.roleEpoch == 1u);
  const auto is = [](auto kind) {
    return [](const Action& a) { return std::holds_alternative<decltype(kind)>(a); };
  };
  const auto persisted = node.indexOf(is(PersistEpoch{}));
  const auto checked = node.indexOf(is(ProbeServiceAddress{}));
  const auto promoted = node.indexOf([](const Action& a) {
    const auto* s = std::get_if<SetRole>(&a);
    return s && s->role == Role::Primary;
  });
  // The witness probe the promotion asked for is the last one before the epoch is written.
  std::size_t witness = 0;
  for (std::size_t i = 0; i < persisted; ++i)
    if (std::holds_alternative<ProbeWitness>(node.actions[i])) witness = i;
  BOOST_TEST(witness > 0u);
  BOOST_TEST(witness < persisted);
  BOOST_TEST(persisted < checked);
  BOOST_TEST(checked < promoted);
}

BOOST_AUTO_TEST_CASE(a_witness_probe_asked_before_the_promotion_does_not_count) {
  Node node;
  node.manual = true;
  node.boot(0);
  node.handle(WitnessResult{node.now, true});
  node.advance(2990ms);
  // Answers the probe pending since the first tick; the periodic one goes out at once.
  node.handle(WitnessResult{node.now, true});
  const auto asked = node.count<ProbeWitness>();
  node.now += 10ms;
  node.handle(Tick{node.now});  // the start-up wait is over: promoting, that probe pending
  BOOST_TEST((node.phase() == Phase::Promoting));
  BOOST_TEST(node.count<ProbeWitness>() == asked);
  node.handle(WitnessResult{node.now, true});  // asked before: a new probe goes out
  BOOST_TEST(node.count<ProbeWitness>() == asked + 1);
  BOOST_TEST(node.count<PersistEpoch>() == 0u);
  node.handle(WitnessResult{node.now, true});
  BOOST_TEST(node.count<PersistEpoch>() == 1u);
}

BOOST_AUTO_TEST_CASE(a_cut_off_node_does_not_promote) {
  Node node;
  node.witness = false;
  node.boot(0);
  node.advance(5000ms);
  BOOST_TEST((node.role == Role::Backup));
  BOOST_TEST(node.count<PersistEpoch>() == 0u);
  node.witness = true;
  node.advance(40ms);
  BOOST_TEST((node.role == Role::Primary));
}

BOOST_AUTO_TEST_CASE(nobody_promotes_over_a_node_that_serves_the_service_address) {
  Node node;
  node.service = ServiceAddress::ServedByOther;
  node.serverEpoch = 7;
  node.boot(2);
  node.advance(3000ms);
  BOOST_TEST((node.role == Role::Backup));
  BOOST_TEST(node.disk == 3u);  // one epoch written for the first attempt
  const History* h = node.lastHistory();
  BOOST_REQUIRE(h != nullptr);
  BOOST_TEST((h->reason == Reason::ServiceAddressServed));
  // Retried every promotion-retry interval for as long as the peer is silent: no new epoch
  // written while it is served, and the history holds the first refusal only.
  const auto histories = node.count<History>();
  node.advance(1000ms);
  BOOST_TEST((node.role == Role::Backup));
  BOOST_TEST(node.count<ProbeServiceAddress>() >= 9u);
  BOOST_TEST(node.count<History>() == histories);
  BOOST_TEST(node.machine.state().highestSeen == 7u);  // the server's epoch counts
  node.service = ServiceAddress::NotServed;
  node.advance(200ms);
  BOOST_TEST((node.role == Role::Primary));
  BOOST_TEST(node.roleEpoch == 8u);  // above the epoch seen serving
}

BOOST_AUTO_TEST_CASE(an_epoch_written_and_not_used_serves_the_next_attempt) {
  Node node;
  node.service = ServiceAddress::ServedByOther;
  node.serverEpoch = 0;
  node.boot(2);
  node.advance(3000ms);
  BOOST_TEST(node.count<PersistEpoch>() == 1u);
  node.service = ServiceAddress::NotServed;
  node.advance(200ms);
  BOOST_TEST((node.role == Role::Primary));
  BOOST_TEST(node.roleEpoch == 3u);
  BOOST_TEST(node.count<PersistEpoch>() == 1u);
}

BOOST_AUTO_TEST_CASE(an_epoch_that_cannot_be_written_is_not_used) {
  Node node;
  node.persistOk = false;
  node.boot(0);
  node.advance(3000ms);
  BOOST_TEST((node.role == Role::Backup));
  BOOST_TEST((node.lastHistory()->reason == Reason::EpochNotPersisted));
}

BOOST_AUTO_TEST_CASE(a_service_address_without_a_signal_does_not_block_and_is_noted) {
  Node node;
  node.service = ServiceAddress::Unknown;
  node.boot(0);
  node.advance(3010ms);
  BOOST_TEST((node.role == Role::Primary));
  BOOST_TEST(node.lastHistory()->detail.find("not checked") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(hearing_the_peer_ends_the_startup_wait_and_the_lower_node_id_wins) {
  Node a{"a"};
  Node b{"b"};
  a.boot(0);
  b.boot(0);
  a.hearFor(peer(Role::Backup, 0, "b"), 60ms);
  b.hearFor(peer(Role::Backup, 0, "a"), 60ms);
  BOOST_TEST((a.role == Role::Primary));
  BOOST_TEST((a.lastHistory()->reason == Reason::TieBreak));
  BOOST_TEST((b.role == Role::Backup));
  BOOST_TEST((b.phase() == Phase::Backup));
}

BOOST_AUTO_TEST_CASE(the_tie_break_prefers_the_higher_epoch_then_the_lower_id) {
  BOOST_TEST(outranks(9, "b", 1, "a"));
  BOOST_TEST(outranks(3, "a", 3, "b"));
  BOOST_TEST(!outranks(3, "b", 3, "a"));
  Node b{"b"};
  b.boot(2);  // held the role last
  b.hearFor(peer(Role::Backup, 1, "a"), 60ms);
  BOOST_TEST((b.role == Role::Primary));
  BOOST_TEST(b.roleEpoch == 3u);
  // Readiness does not count: it changes while the peer's promotion is on its way.
  Node a{"a"};
  a.boot(0);
  a.hearFor(peer(Role::Backup, 2, "b"), 60ms);
  a.sipd(SipdHealth::Alive, true);
  a.hearFor(peer(Role::Backup, 2, "b"), 60ms);
  BOOST_TEST((a.role == Role::Backup));
}

BOOST_AUTO_TEST_CASE(a_recovered_node_stays_backup) {
  Node a{"a"};
  a.boot(3);
  a.sipd(SipdHealth::Alive, true);
  a.hearFor(peer(Role::Primary, 2, "b"), 5000ms);  // "a" would win any tie-break
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST(a.count<PersistEpoch>() == 0u);
}

BOOST_AUTO_TEST_CASE(silence_on_one_path_is_not_silence) {
  Node a{"a"};
  a.boot(1);
  PeerState primary = peer(Role::Primary, 1, "b");
  for (int i = 0; i < 50; ++i) {
    a.hear(primary, Path::Service);
    a.advance(20ms);
  }
  BOOST_TEST((a.role == Role::Backup));
  a.advance(70ms);  // 90 ms since the last heartbeat
  BOOST_TEST((a.role == Role::Backup));
  a.advance(10ms);  // 100 ms without anything on either path
  BOOST_TEST((a.role == Role::Primary));
  BOOST_TEST(a.roleEpoch == 2u);
  BOOST_TEST(a.lastHistory()->detail.starts_with("peer silent 100 ms on every path"));
}

BOOST_AUTO_TEST_CASE(a_failing_peer_is_replaced_without_waiting_for_the_dead_interval) {
  Node a{"a"};
  a.boot(1);
  a.sipd(SipdHealth::Alive, true);
  a.hearFor(peer(Role::Primary, 1, "b"), 100ms);
  PeerState failing = peer(Role::Backup, 1, "b");
  failing.failing = true;
  a.hear(failing);
  BOOST_TEST((a.role == Role::Primary));
  BOOST_TEST((a.lastHistory()->reason == Reason::PeerFailing));
  BOOST_TEST(!a.lastHistory()->notReady);
}

BOOST_AUTO_TEST_CASE(a_backup_ready_until_the_primary_failed_is_not_called_not_ready) {
  // The primary's sipd dies: its RST takes the backup's replication link (and readiness) down
  // in the same instant as its "failing" heartbeat arrives.
  Node a{"a"};
  a.boot(1);
  a.sipd(SipdHealth::Alive, true);
  a.hearFor(peer(Role::Primary, 1, "b"), 100ms);
  a.sipd(SipdHealth::Alive, false);
  PeerState failing = peer(Role::Backup, 1, "b");
  failing.failing = true;
  a.hear(failing);
  BOOST_TEST((a.role == Role::Primary));
  BOOST_TEST(!a.lastHistory()->notReady);
}

BOOST_AUTO_TEST_CASE(a_backup_that_is_not_ready_takes_over_a_lost_primary_and_says_so) {
  Node a{"a"};
  a.boot(1);
  a.hearFor(peer(Role::Primary, 1, "b"), 100ms);
  a.advance(100ms);
  BOOST_TEST((a.role == Role::Primary));
  BOOST_TEST(a.lastHistory()->notReady);
  BOOST_TEST(a.lastHistory()->detail.find("not ready") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_primary_whose_sipd_dies_says_failing_on_both_paths_and_demotes) {
  for (SipdHealth health : {SipdHealth::Dead, SipdHealth::Hung}) {
    Node a = primaryWithBackup(4);
    a.actions.clear();
    a.sipd(health);
    BOOST_TEST((a.role == Role::Backup));
    BOOST_TEST(a.roleEpoch == 4u + 1);
    BOOST_TEST((a.lastHistory()->reason == Reason::LocalSipdFailing));
    std::size_t failing = 0;
    for (const Action& action : a.actions)
      if (const auto* hb = std::get_if<SendHeartbeat>(&action))
        failing += hb->state.failing && hb->state.role == Role::Backup ? 1 : 0;
    BOOST_TEST(failing == 2u);
    // It never promotes while failing, whatever it hears.
    PeerState gone = peer(Role::Backup, 5, "b");
    gone.failing = true;
    a.hearFor(gone, 200ms);
    a.advance(500ms);
    BOOST_TEST((a.role == Role::Backup));
  }
}

BOOST_AUTO_TEST_CASE(a_restarted_sipd_is_told_its_role_and_epoch) {
  Node a = primaryWithBackup(2);
  a.sipd(SipdHealth::Dead);
  a.hear(peer(Role::Primary, 4, "b"));  // the backup took over
  const auto sets = a.count<SetRole>();
  a.sipd(SipdHealth::Alive);
  BOOST_TEST(a.count<SetRole>() == sets + 1);
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST(a.roleEpoch == 4u);  // the new primary's: the backup follows it
}

BOOST_AUTO_TEST_CASE(a_backup_follows_the_primarys_epoch_and_never_goes_back) {
  Node a = primaryWithBackup(2);  // a primary with epoch 3
  a.sipd(SipdHealth::Dead);       // now a backup at 3, sipd dead
  a.sipd(SipdHealth::Alive);
  const auto sets = a.count<SetRole>();
  a.hear(peer(Role::Primary, 7, "b"));
  BOOST_TEST(a.count<SetRole>() == sets + 1);
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST(a.roleEpoch == 7u);
  a.hear(peer(Role::Primary, 7, "b"));  // the same epoch again: nothing to tell sipd
  BOOST_TEST(a.count<SetRole>() == sets + 1);
  a.hear(peer(Role::Backup, 5, "b"));  // a lower epoch never lowers it
  BOOST_TEST(a.roleEpoch == 7u);
}

BOOST_AUTO_TEST_CASE(when_two_primaries_meet_the_lower_epoch_demotes_at_once) {
  Node a = primaryWithBackup(4);  // primary with epoch 5
  a.hear(peer(Role::Primary, 4, "b"));
  BOOST_TEST((a.role == Role::Primary));
  a.hear(peer(Role::Primary, 5, "b"));  // equal: the lower node id ("a") stays
  BOOST_TEST((a.role == Role::Primary));
  a.hear(peer(Role::Primary, 6, "b"));
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST((a.lastHistory()->reason == Reason::HigherEpochSeen));
  Node b{"b"};
  b.boot(4);
  b.sipd(SipdHealth::Alive, true);
  b.hearFor(peer(Role::Backup, 0, "a"), 60ms);  // b promotes: higher epoch
  BOOST_REQUIRE(b.role == Role::Primary);
  b.hear(peer(Role::Primary, b.roleEpoch, "a"));  // equal epochs: "a" keeps it
  BOOST_TEST((b.role == Role::Backup));
}

BOOST_AUTO_TEST_CASE(a_primary_that_finds_another_serving_with_a_higher_epoch_demotes) {
  Node a = primaryWithBackup(0);
  a.service = ServiceAddress::ServedByOther;
  a.server = "b";
  a.serverEpoch = 9;
  a.advance(100ms);
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST(a.lastHistory()->detail.find("service address served by b") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_isolated_primary_demotes_itself) {
  Node a = primaryWithBackup(0);
  a.witness = false;
  a.advance(90ms);
  BOOST_TEST((a.role == Role::Primary));
  a.advance(20ms);
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST((a.lastHistory()->reason == Reason::Isolated));
  BOOST_TEST(a.lastHistory()->detail == "isolated: witness and peer lost");
}

BOOST_AUTO_TEST_CASE(a_primary_keeps_the_role_when_the_witness_fails_for_both) {
  Node a = primaryWithBackup(0);
  a.witness = false;
  PeerState backup = peer(Role::Backup, 0, "b");
  backup.ready = true;
  // The peer loses it too: its heartbeats say so once its own dead interval is over.
  a.hearFor(backup, 80ms);
  backup.witnessOk = false;
  a.hearFor(backup, 1000ms);
  BOOST_TEST((a.role == Role::Primary));
}

BOOST_AUTO_TEST_CASE(a_primary_cut_from_its_witness_hands_over_to_a_peer_that_reaches_its_own) {
  Node a = primaryWithBackup(0);
  a.witness = false;
  PeerState backup = peer(Role::Backup, 0, "b");
  backup.ready = true;
  a.hearFor(backup, 200ms);
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST((a.phase() == Phase::HandingOver));
  BOOST_TEST((a.lastHistory()->reason == Reason::WitnessLost));
  BOOST_TEST(a.lastHeartbeat()->state.handingOver);
}

BOOST_AUTO_TEST_CASE(an_older_heartbeat_proves_its_path_but_not_its_state) {
  Node a{"a"};
  a.boot(1);
  a.handle(HeartbeatReceived{a.now, Path::HaLink, peer(Role::Primary, 3, "b"), 10});
  PeerState old = peer(Role::Backup, 1, "b");
  old.failing = true;  // would make "a" promote at once
  a.handle(HeartbeatReceived{a.now, Path::Service, old, 9});
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST((a.machine.state().peer.role == Role::Primary));
  BOOST_TEST((a.machine.state().heard[1] == a.now));
}

BOOST_AUTO_TEST_CASE(a_heartbeat_of_its_own_is_ignored) {
  Node a{"a"};
  a.boot(1);
  a.hear(peer(Role::Primary, 3, "a"));
  BOOST_TEST(!a.machine.state().peerKnown);
  BOOST_TEST((a.machine.state().heard[0] == kNever));
}

BOOST_AUTO_TEST_CASE(switchover_is_refused_with_the_reason) {
  Node backup{"b"};
  backup.boot(1);
  backup.hearFor(peer(Role::Primary, 1, "a"), 40ms);
  backup.handle(SwitchoverRequested{backup.now});
  const auto* refused = std::get_if<SwitchoverRefused>(&backup.actions[backup.actions.size() - 2]);
  BOOST_REQUIRE(refused != nullptr);
  BOOST_TEST(refused->why == "this node is not the primary");

  Node a = primaryWithBackup(0);
  PeerState notReady = peer(Role::Backup, 0, "b");
  a.hearFor(notReady, 40ms);
  a.handle(SwitchoverRequested{a.now});
  BOOST_TEST((a.phase() == Phase::Primary));
  BOOST_TEST(a.count<StopTakingTransactions>() == 0u);
  BOOST_TEST(a.lastHistory()->detail ==
             "switchover refused: the backup is not ready for switchover");
  a.advance(200ms);  // the backup is silent now
  a.handle(SwitchoverRequested{a.now});
  BOOST_TEST(a.lastHistory()->detail == "switchover refused: the backup is not heard");
}

BOOST_AUTO_TEST_CASE(switchover_drains_demotes_and_the_backup_takes_over_with_the_next_epoch) {
  Node a = primaryWithBackup(0);  // epoch 1
  Node b{"b"};
  b.boot(0);
  b.sipd(SipdHealth::Alive, true);
  b.hearFor(peer(Role::Primary, 1, "a"), 40ms);
  a.handle(SwitchoverRequested{a.now});
  BOOST_TEST((a.phase() == Phase::Draining));
  BOOST_TEST(a.count<StopTakingTransactions>() == 1u);
  BOOST_TEST((a.role == Role::Primary));
  a.handle(HandoverComplete{a.now});
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST((a.phase() == Phase::HandingOver));
  const PeerState said = a.lastHeartbeat()->state;
  BOOST_TEST(said.handingOver);
  b.hear(said);
  BOOST_TEST((b.role == Role::Primary));
  BOOST_TEST(b.roleEpoch == 2u);
  BOOST_TEST((b.lastHistory()->reason == Reason::PeerHandedOver));
  a.hear(b.lastHeartbeat()->state);
  BOOST_TEST((a.phase() == Phase::Backup));
  BOOST_TEST((a.lastHistory()->reason == Reason::PeerTookOver));
}

BOOST_AUTO_TEST_CASE(a_switchover_whose_replication_does_not_drain_is_abandoned) {
  Node a = primaryWithBackup(0);
  PeerState ready = peer(Role::Backup, 0, "b");
  ready.ready = true;
  a.handle(SwitchoverRequested{a.now});
  BOOST_TEST((a.phase() == Phase::Draining));
  a.hearFor(ready, 1000ms);
  BOOST_TEST((a.phase() == Phase::Primary));
  BOOST_TEST(a.count<ResumeTakingTransactions>() == 1u);
  BOOST_TEST((a.lastHistory()->reason == Reason::SwitchoverAbandoned));
}

BOOST_AUTO_TEST_CASE(a_handover_nobody_takes_ends_and_the_ordinary_rules_return) {
  Node a = primaryWithBackup(0);
  PeerState ready = peer(Role::Backup, 0, "b");
  ready.ready = true;
  a.handle(SwitchoverRequested{a.now});
  a.handle(HandoverComplete{a.now});
  BOOST_TEST((a.phase() == Phase::HandingOver));
  ready.witnessOk = false;  // the peer cannot take over after all
  a.hearFor(ready, 1000ms);
  BOOST_TEST((a.lastHistory()->reason == Reason::TieBreak));  // back to the role, epoch 2
  BOOST_TEST((a.role == Role::Primary));
  BOOST_TEST(a.roleEpoch == 2u);
}

// Probe awareness (docs/ha-agent.md): the BIG-IP's monitor no longer reaches the primary while
// it reaches the backup.
Node monitoredPrimary(PeerState& b) {
  Node a{monitoring("a")};
  a.boot(0);
  a.sipd(SipdHealth::Alive, true);
  b = peer(Role::Backup, 0);
  b.ready = true;
  b.monitored = true;
  a.hearFor(b, 100ms);  // the tie-break
  BOOST_REQUIRE((a.role == Role::Primary));
  BOOST_TEST(!a.lastHeartbeat()->state.monitored);  // says so only once really probed
  a.handle(MonitorProbed{a.now});
  BOOST_TEST(a.lastHeartbeat()->state.monitored);
  return a;
}

BOOST_AUTO_TEST_CASE(probe_awareness_a_primary_the_monitor_no_longer_reaches_hands_over) {
  PeerState b;
  Node a = monitoredPrimary(b);
  for (int i = 0; i < 5; ++i) {  // reached every second: nothing to do
    a.handle(MonitorProbed{a.now});
    a.hearFor(b, 1000ms);
  }
  BOOST_TEST((a.role == Role::Primary));
  a.hearFor(b, 2900ms);  // 3.9 s since the last probe
  BOOST_TEST((a.role == Role::Primary));
  a.hearFor(b, 200ms);
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST((a.phase() == Phase::HandingOver));
  BOOST_TEST((a.lastHistory()->reason == Reason::MonitorLost));
  BOOST_TEST(a.lastHeartbeat()->state.handingOver);
  BOOST_TEST(!a.lastHeartbeat()->state.monitored);
}

BOOST_AUTO_TEST_CASE(probe_awareness_a_monitor_that_reaches_neither_node_changes_nothing) {
  PeerState b;
  Node a = monitoredPrimary(b);
  b.monitored = false;  // the monitor itself is down (or the BIG-IP is)
  a.hearFor(b, 6000ms);
  BOOST_TEST((a.role == Role::Primary));
}

BOOST_AUTO_TEST_CASE(probe_awareness_off_never_hands_over_and_says_not_monitored) {
  Node a{"a"};
  a.boot(0);
  a.sipd(SipdHealth::Alive, true);
  PeerState b = peer(Role::Backup, 0);
  b.monitored = true;
  a.hearFor(b, 6000ms);
  BOOST_TEST((a.role == Role::Primary));
  BOOST_TEST(!a.lastHeartbeat()->state.monitored);
}

BOOST_AUTO_TEST_CASE(probe_awareness_a_node_just_started_is_not_judged_nor_said_monitored) {
  // Both booted together and nobody was probed yet: no handover when the first one's monitor
  // timeout passes (the other's must not be taken for a probe).
  Node a{monitoring("a")};
  a.boot(0);
  a.sipd(SipdHealth::Alive, true);
  PeerState b = peer(Role::Backup, 0);
  b.ready = true;
  a.hearFor(b, 100ms);
  BOOST_REQUIRE((a.role == Role::Primary));
  a.hearFor(b, 5000ms);
  BOOST_TEST((a.role == Role::Primary));
  // Probed once, then no more, while the peer is: judged after the timeout.
  a.handle(MonitorProbed{a.now});
  b.monitored = true;
  a.hearFor(b, 4100ms);
  BOOST_TEST((a.lastHistory()->reason == Reason::MonitorLost));
}

// An agent restarted while its sipd served as primary (docs/ha-agent.md, "An agent that dies").
BOOST_AUTO_TEST_CASE(an_agent_restarted_under_its_serving_sipd_resumes_the_role) {
  Node a{"a"};
  a.disk = 3;
  a.handle(Boot{a.now, 3, true});
  BOOST_TEST((a.role == Role::Primary));
  BOOST_TEST(a.roleEpoch == 3u);
  BOOST_TEST((a.phase() == Phase::Primary));
  BOOST_TEST((a.lastHistory()->reason == Reason::ResumedPrimary));
  a.sipd(SipdHealth::Alive, false);
  a.hearFor(peer(Role::Backup, 3, "b"), 500ms);  // the peer stayed backup: nothing changes
  BOOST_TEST((a.role == Role::Primary));
  a.hear(peer(Role::Primary, 4, "b"));  // the peer promoted meanwhile: the higher epoch wins
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST((a.lastHistory()->reason == Reason::HigherEpochSeen));
}

BOOST_AUTO_TEST_CASE(a_resumed_primary_that_is_cut_off_steps_down) {
  Node a{"a"};
  a.witness = false;  // its witness does not answer, and nobody is heard
  a.disk = 3;
  a.handle(Boot{a.now, 3, true});
  BOOST_TEST((a.role == Role::Primary));
  a.advance(200ms);
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST((a.lastHistory()->reason == Reason::Isolated));
}

BOOST_AUTO_TEST_CASE(without_an_epoch_a_serving_sipd_is_not_resumed) {
  Node a{"a"};
  a.handle(Boot{a.now, 0, true});
  BOOST_TEST((a.role == Role::Backup));
  BOOST_TEST((a.phase() == Phase::Starting));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::agent
