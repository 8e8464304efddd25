#pragma once
// The role decision of sipha-agent (docs/ha-agent.md; DESIGN.md "Hot standby"; issue 11 §1, §2,
// §4), a pure state machine: events in, actions out, time handed in with each event. No socket,
// clock, bus or thread here: the agent's driver carries the actions out and feeds the answers
// back, and tests/unit/ha_agent/ explores two of these machines through every fault of a small
// world model.
//
// The rules (each one is a named case in docs/ha-agent.md):
//   - start as backup; wait the start-up time for the peer before promoting on silence;
//   - promote only when the peer is silent on every path for the dead interval, or says it is
//     failing, or hands over, or both are healthy backups and this one is preferred (tie-break:
//     the higher epoch, then the lower node id) — AND the witness answers AND nobody else serves
//     the service address; every promotion takes the highest epoch seen + 1, on disk first;
//   - two primaries: the lower epoch (then the higher node id) demotes at once;
//   - a primary demotes when its sipd dies or hangs (saying "failing"), when it loses its witness
//     and its peer together (isolated), or hands over when it lost its witness and the peer did
//     not; no preemption: nothing else takes the role from a healthy primary;
//   - switchover: drain, demote, and the peer promotes with epoch + 1; refused (with the reason)
//     when the backup is not ready, not heard, failing or cut off.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "decision/actions.hpp"
#include "decision/decision_config.hpp"
#include "decision/events.hpp"
#include "decision/peer_state.hpp"
#include "decision/phase.hpp"
#include "decision/reason.hpp"
#include "decision/time.hpp"

namespace sipha::agent {

// Everything the machine remembers. Public so the agent can show it and the exploration test can
// key its visited set on it: a field added here goes into tests/unit/ha_agent/world.cpp's key.
struct DecisionState {
  bool booted = false;
  Phase phase = Phase::Starting;
  TimePoint bootAt = kNever;
  TimePoint phaseSince = kNever;
  Role role = Role::Backup;          // as last sent with SetRole
  std::uint64_t epoch = 0;           // of that role
  std::uint64_t persistedEpoch = 0;  // the highest epoch known to be on disk
  std::uint64_t highestSeen = 0;     // own roles, the peer's heartbeats, service address answers

  SipdHealth sipd = SipdHealth::Alive;
  bool sipdReady = false;
  // When sipdReady last went false. Losing the primary drops the backup's replication link
  // (and its readiness) at the same moment: a backup ready until then had everything. Only
  // feeds the history.
  TimePoint readyLostAt = kNever;

  bool peerKnown = false;  // a heartbeat was applied since boot
  PeerState peer;          // what the newest heartbeat (by sequence number) said
  std::uint64_t peerSeq = 0;
  std::array<TimePoint, kPathCount> heard{kNever, kNever};  // last heartbeat per path
  // The peer said it reaches its witness at a time this node had had no answer from its own
  // for a whole witness dead interval and a heartbeat: this node's side is cut, not the
  // witness (when the witness itself fails, both lose it and neither says so for long).
  bool peerHasWitness = false;

  TimePoint witnessOkAt = kNever;  // last "reachable"
  TimePoint witnessAskedAt = kNever;
  bool witnessPending = false;
  bool witnessStale = false;  // the pending probe was asked before the promotion's step began

  TimePoint serviceAskedAt = kNever;
  bool servicePending = false;
  bool serviceStale = false;

  PromotionStep step = PromotionStep::CheckingWitness;
  Reason promotionReason = Reason::PeerSilent;
  std::uint64_t promotionEpoch = 0;
  bool persistPending = false;
  // A promotion was abandoned or the role given up: no promotion for promotionRetry after it
  // (a partition does not make a backup probe at every tick, a demoted node does not flap).
  TimePoint backoffFrom = kNever;
  bool abandonLogged = false;  // the history already holds this run of abandonments
  Reason lastAbandon = Reason::PeerAlive;

  // The BIG-IP's monitor last reached this node (probe awareness). A node says "monitored" only
  // after a real probe; it judges itself unreached only a monitor timeout after boot.
  TimePoint monitoredAt = kNever;

  TimePoint heartbeatAt = kNever;
  PeerState advertised;  // what the last heartbeats said
};

class RoleMachine {
 public:
  using Actions = std::vector<Action>;

  // `config` must validate (decision_config.hpp).
  explicit RoleMachine(DecisionConfig config);

  // Appends the actions `event` calls for to `out`, in the order they must be carried out.
  // Events before Boot are ignored.
  void handle(const Event& event, Actions& out);

  const DecisionState& state() const noexcept { return s_; }
  const DecisionConfig& config() const noexcept { return config_; }

  // Derived views (also for the agent's status).
  bool localHealthy() const noexcept { return s_.sipd == SipdHealth::Alive; }
  bool peerSilent(TimePoint now) const noexcept;
  bool peerFresh(TimePoint now) const noexcept { return s_.peerKnown && !peerSilent(now); }
  bool witnessLost(TimePoint now) const noexcept;
  // The BIG-IP's monitor reached this node within the monitor timeout (false when off).
  bool monitored(TimePoint now) const noexcept;
  PeerState advertised(TimePoint now) const;

 private:
  void onBoot(const Boot& e, Actions& out);
  void onHeartbeat(const HeartbeatReceived& e);
  void onWitness(const WitnessResult& e, Actions& out);
  void onServiceAddress(const ServiceAddressProbed& e, Actions& out);
  void onEpochPersisted(const EpochPersisted& e, Actions& out);
  void onLocalSipd(const LocalSipdState& e, Actions& out);
  void onSwitchover(const SwitchoverRequested& e, Actions& out);
  void onHandoverComplete(const HandoverComplete& e, Actions& out);

  // The rules of the current phase, then the periodic probes and the heartbeat.
  void evaluate(TimePoint now, Actions& out);
  void applyPhaseRules(TimePoint now, Actions& out);
  std::optional<Reason> promotionReasonNow(TimePoint now) const;

  void startPromotion(Reason reason, TimePoint now, Actions& out);
  void advancePromotion(TimePoint now, Actions& out);
  void abandonPromotion(Reason reason, std::string detail, TimePoint now, Actions& out);
  void becomePrimary(TimePoint now, bool serviceUnknown, Actions& out);
  void demote(Reason reason, std::string detail, bool handOver, TimePoint now, Actions& out);
  void enter(Phase phase, TimePoint now);
  void refuseSwitchover(std::string why, Actions& out);
  void record(Phase from, Reason reason, std::string detail, Actions& out, bool notReady = false);

  void askWitness(TimePoint now, Actions& out);
  void askServiceAddress(TimePoint now, Actions& out);
  void sendHeartbeats(PeerState state, TimePoint now, Actions& out);

  bool primaryPhase() const noexcept {
    return s_.phase == Phase::Primary || s_.phase == Phase::Draining;
  }
  std::string promotionDetail(Reason reason) const;

  DecisionConfig config_;
  DecisionState s_;
};

}  // namespace sipha::agent
