#include "decision/role_machine.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace sipha::agent {

namespace {

std::string ms(Duration d) { return std::to_string(d.count()) + " ms"; }

std::string epochText(std::uint64_t epoch) { return "epoch " + std::to_string(epoch); }

}  // namespace

RoleMachine::RoleMachine(DecisionConfig config) : config_(std::move(config)) {}

bool RoleMachine::peerSilent(TimePoint now) const noexcept {
  for (TimePoint heard : s_.heard)
    if (!elapsed(heard, now, config_.deadInterval)) return false;
  return true;
}

bool RoleMachine::witnessLost(TimePoint now) const noexcept {
  return elapsed(s_.witnessOkAt, now, config_.witnessDeadInterval);
}

bool RoleMachine::monitored(TimePoint now) const noexcept {
  return config_.monitorTimeout.count() > 0 &&
         !elapsed(s_.monitoredAt, now, config_.monitorTimeout);
}

PeerState RoleMachine::advertised(TimePoint now) const {
  PeerState state;
  state.nodeId = config_.nodeId;
  state.role = s_.role;
  state.epoch = s_.epoch;
  state.failing = !localHealthy();
  state.ready = s_.sipdReady;
  state.witnessOk = !witnessLost(now);
  state.handingOver = s_.phase == Phase::HandingOver;
  state.monitored = monitored(now);
  return state;
}

void RoleMachine::handle(const Event& event, Actions& out) {
  if (!s_.booted && !std::holds_alternative<Boot>(event)) return;
  TimePoint now;
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        now = e.now;
        if constexpr (std::is_same_v<E, Boot>) onBoot(e, out);
        if constexpr (std::is_same_v<E, HeartbeatReceived>) onHeartbeat(e);
        if constexpr (std::is_same_v<E, WitnessResult>) onWitness(e, out);
        if constexpr (std::is_same_v<E, ServiceAddressProbed>) onServiceAddress(e, out);
        if constexpr (std::is_same_v<E, EpochPersisted>) onEpochPersisted(e, out);
        if constexpr (std::is_same_v<E, LocalSipdState>) onLocalSipd(e, out);
        if constexpr (std::is_same_v<E, SwitchoverRequested>) onSwitchover(e, out);
        if constexpr (std::is_same_v<E, HandoverComplete>) onHandoverComplete(e, out);
        if constexpr (std::is_same_v<E, MonitorProbed>) s_.monitoredAt = e.now;
      },
      event);
  evaluate(now, out);
}

// --- events ---

void RoleMachine::onBoot(const Boot& e, Actions& out) {
  // Whatever this process knew before is gone; only the epoch on disk survives.
  s_ = DecisionState{};
  s_.booted = true;
  s_.bootAt = e.now;
  s_.phaseSince = e.now;
  s_.epoch = e.persistedEpoch;
  s_.persistedEpoch = e.persistedEpoch;
  s_.highestSeen = e.persistedEpoch;
  if (e.sipdServes && e.persistedEpoch > 0) {
    // Its sipd serves with the epoch this node promoted with: the role is resumed, and the
    // ordinary rules judge it from here (a peer primary with a higher epoch demotes it at once).
    // The witness gets one witness dead interval to answer before "isolated" applies.
    s_.role = Role::Primary;
    s_.witnessOkAt = e.now;
    enter(Phase::Primary, e.now);
    out.emplace_back(SetRole{Role::Primary, s_.epoch});
    record(Phase::Starting, Reason::ResumedPrimary,
           "sipd serves as primary with " + epochText(s_.epoch) + ": role resumed", out);
    return;
  }
  // A node that starts is backup, and drops a role (a VIP) a previous run left behind.
  out.emplace_back(SetRole{Role::Backup, s_.epoch});
  record(Phase::Starting, Reason::Boot, "started as backup, " + epochText(s_.epoch), out);
}

void RoleMachine::onHeartbeat(const HeartbeatReceived& e) {
  if (e.peer.nodeId == config_.nodeId) return;  // our own, looped back: nothing to learn
  s_.heard[static_cast<std::size_t>(e.path)] = e.now;
  // An older heartbeat (reordered within the replay window) proves the path, not the state.
  if (s_.peerKnown && e.seq <= s_.peerSeq) return;
  s_.peerKnown = true;
  s_.peer = e.peer;
  s_.peerSeq = e.seq;
  s_.peerHasWitness =
      e.peer.witnessOk &&
      elapsed(s_.witnessOkAt, e.now, config_.witnessDeadInterval + config_.heartbeatInterval);
  s_.highestSeen = std::max(s_.highestSeen, e.peer.epoch);
}

void RoleMachine::onWitness(const WitnessResult& e, Actions& out) {
  s_.witnessPending = false;
  if (e.reachable) {
    s_.witnessOkAt = e.now;
    s_.peerHasWitness = false;
  }
  if (s_.phase != Phase::Promoting || s_.step != PromotionStep::CheckingWitness) {
    s_.witnessStale = false;
    return;
  }
  if (s_.witnessStale) {  // asked before the promotion began: ask again
    s_.witnessStale = false;
    askWitness(e.now, out);
  } else if (!e.reachable) {
    abandonPromotion(Reason::WitnessUnreachable, "witness unreachable: this node is cut off", e.now,
                     out);
  } else {
    s_.step = PromotionStep::PersistingEpoch;
    advancePromotion(e.now, out);
  }
}

void RoleMachine::onEpochPersisted(const EpochPersisted& e, Actions& out) {
  s_.persistPending = false;
  if (e.ok) s_.persistedEpoch = std::max(s_.persistedEpoch, e.epoch);
  if (s_.phase != Phase::Promoting || s_.step != PromotionStep::PersistingEpoch) return;
  if (!e.ok) {
    abandonPromotion(Reason::EpochNotPersisted, epochText(e.epoch) + " could not be written", e.now,
                     out);
    return;
  }
  advancePromotion(e.now, out);
}

void RoleMachine::onServiceAddress(const ServiceAddressProbed& e, Actions& out) {
  s_.servicePending = false;
  const bool served = e.result == ServiceAddress::ServedByOther && e.serverNodeId != config_.nodeId;
  if (served) {
    s_.highestSeen = std::max(s_.highestSeen, e.serverEpoch);
    // What the peer serves with is news about it, maybe newer than its last heartbeat (a
    // backup that heard the peer only as a backup must not win a tie-break against it).
    if (!s_.peerKnown || s_.peer.nodeId == e.serverNodeId) {
      s_.peerKnown = true;
      s_.peer.nodeId = e.serverNodeId;
      s_.peer.role = Role::Primary;
      s_.peer.epoch = e.serverEpoch;
      s_.peer.failing = false;
      s_.peer.handingOver = false;
    }
  }
  const std::string server = e.serverNodeId + " (" + epochText(e.serverEpoch) + ")";

  if (s_.phase == Phase::Promoting && s_.step == PromotionStep::CheckingServiceAddress) {
    if (s_.serviceStale) {
      s_.serviceStale = false;
      askServiceAddress(e.now, out);
    } else if (served) {
      abandonPromotion(Reason::ServiceAddressServed, "service address served by " + server, e.now,
                       out);
    } else if (s_.promotionEpoch <= s_.highestSeen) {
      // A higher epoch was seen while this promotion ran: take one above it, on disk first.
      s_.promotionEpoch = s_.highestSeen + 1;
      s_.step = PromotionStep::PersistingEpoch;
      advancePromotion(e.now, out);
    } else {
      becomePrimary(e.now, e.result == ServiceAddress::Unknown, out);
    }
    return;
  }
  s_.serviceStale = false;
  if (primaryPhase() && served &&
      outranks(e.serverEpoch, e.serverNodeId, s_.epoch, config_.nodeId)) {
    demote(Reason::HigherEpochSeen, "two primaries: service address served by " + server, false,
           e.now, out);
  }
}

void RoleMachine::onLocalSipd(const LocalSipdState& e, Actions& out) {
  const bool restarted = s_.sipd == SipdHealth::Dead && e.health == SipdHealth::Alive;
  s_.sipd = e.health;
  const bool wasReady = s_.sipdReady;
  s_.sipdReady = e.health == SipdHealth::Alive && e.ready;
  if (wasReady && !s_.sipdReady) s_.readyLostAt = e.now;
  if (!localHealthy() && primaryPhase()) {
    demote(Reason::LocalSipdFailing,
           e.health == SipdHealth::Dead ? "local sipd died" : "local sipd hangs", false, e.now,
           out);
  } else if (restarted) {
    // A restarted sipd is a backup of epoch 0: tell it the epoch it fences with.
    out.emplace_back(SetRole{s_.role, s_.epoch});
  }
}

void RoleMachine::onSwitchover(const SwitchoverRequested& e, Actions& out) {
  if (s_.phase == Phase::Draining)
    return refuseSwitchover("a switchover is already under way", out);
  if (s_.phase != Phase::Primary) return refuseSwitchover("this node is not the primary", out);
  if (!peerFresh(e.now)) return refuseSwitchover("the backup is not heard", out);
  if (s_.peer.failing) return refuseSwitchover("the backup is failing", out);
  if (!s_.peer.ready) return refuseSwitchover("the backup is not ready for switchover", out);
  if (!s_.peer.witnessOk) return refuseSwitchover("the backup does not reach its witness", out);
  const Phase from = s_.phase;
  enter(Phase::Draining, e.now);
  out.emplace_back(StopTakingTransactions{});
  record(from, Reason::SwitchoverRequested, "switchover requested: draining", out);
}

void RoleMachine::onHandoverComplete(const HandoverComplete& e, Actions& out) {
  if (s_.phase != Phase::Draining) return;
  demote(Reason::SwitchoverDone, "switchover: drained and demoted, the peer takes over", true,
         e.now, out);
}

// --- rules ---

void RoleMachine::evaluate(TimePoint now, Actions& out) {
  // One phase's rules can hand over to the next one's (starting -> backup -> promoting).
  for (int round = 0; round < 4; ++round) {
    const Phase before = s_.phase;
    applyPhaseRules(now, out);
    if (s_.phase == before) break;
  }
  if (!s_.witnessPending && elapsed(s_.witnessAskedAt, now, config_.witnessInterval))
    askWitness(now, out);
  if (primaryPhase() && !s_.servicePending &&
      elapsed(s_.serviceAskedAt, now, config_.serviceProbeInterval))
    askServiceAddress(now, out);
  PeerState state = advertised(now);
  if (state != s_.advertised || elapsed(s_.heartbeatAt, now, config_.heartbeatInterval))
    sendHeartbeats(std::move(state), now, out);
}

std::optional<Reason> RoleMachine::promotionReasonNow(TimePoint now) const {
  if (!localHealthy() || s_.phase == Phase::Starting) return std::nullopt;
  if (peerSilent(now)) return Reason::PeerSilent;
  const PeerState& peer = s_.peer;
  if (peer.failing) return Reason::PeerFailing;
  if (peer.role == Role::Primary) return std::nullopt;  // no preemption
  // The peer is a healthy backup, and so is this node: nobody serves.
  const bool yielding = s_.phase == Phase::HandingOver;
  if (peer.handingOver) return yielding ? std::nullopt : std::optional{Reason::PeerHandedOver};
  if (!yielding && outranks(s_.epoch, config_.nodeId, peer.epoch, peer.nodeId))
    return Reason::TieBreak;
  return std::nullopt;
}

void RoleMachine::applyPhaseRules(TimePoint now, Actions& out) {
  switch (s_.phase) {
    case Phase::Starting:
      if (s_.peerKnown) {
        enter(Phase::Backup, now);
        record(Phase::Starting, Reason::PeerHeard, "peer " + s_.peer.nodeId + " heard", out);
      } else if (elapsed(s_.bootAt, now, config_.startupWait)) {
        enter(Phase::Backup, now);
        record(Phase::Starting, Reason::StartupWaitOver,
               "peer not heard in the start-up wait (" + ms(config_.startupWait) + ")", out);
      }
      return;

    case Phase::HandingOver:
      if (peerFresh(now) && s_.peer.role == Role::Primary && s_.peer.epoch > s_.epoch) {
        enter(Phase::Backup, now);
        record(Phase::HandingOver, Reason::PeerTookOver,
               "peer " + s_.peer.nodeId + " took over with " + epochText(s_.peer.epoch), out);
        return;
      }
      if (elapsed(s_.phaseSince, now, config_.handoverTimeout)) {
        enter(Phase::Backup, now);
        record(Phase::HandingOver, Reason::HandoverTimedOut,
               "the peer did not take over in " + ms(config_.handoverTimeout), out);
        return;
      }
      [[fallthrough]];
    case Phase::Backup: {
      // A backup follows the serving primary's epoch: its sipd's replication Hello must carry
      // it (docs/replication.md, fencing), and sipd refuses any lower epoch afterwards.
      if (peerFresh(now) && s_.peer.role == Role::Primary && !s_.peer.failing &&
          s_.peer.epoch > s_.epoch) {
        s_.epoch = s_.peer.epoch;
        out.emplace_back(SetRole{Role::Backup, s_.epoch});
      }
      const auto reason = promotionReasonNow(now);
      if (reason && elapsed(s_.backoffFrom, now, config_.promotionRetry) && !witnessLost(now))
        startPromotion(*reason, now, out);
      return;
    }

    case Phase::Promoting: {
      const auto reason = promotionReasonNow(now);
      if (!reason) {
        if (!localHealthy())
          abandonPromotion(Reason::LocalSipdFailing, "local sipd failing", now, out);
        else
          abandonPromotion(
              Reason::PeerAlive,
              "peer " + s_.peer.nodeId + " heard as " + std::string{common::roleName(s_.peer.role)},
              now, out);
        return;
      }
      s_.promotionReason = *reason;
      return;
    }

    case Phase::Primary:
    case Phase::Draining: {
      const PeerState& peer = s_.peer;
      if (!localHealthy()) {
        demote(Reason::LocalSipdFailing, "local sipd failing", false, now, out);
        return;
      }
      if (peerFresh(now) && peer.role == Role::Primary && !peer.failing &&
          outranks(peer.epoch, peer.nodeId, s_.epoch, config_.nodeId)) {
        demote(Reason::HigherEpochSeen,
               "two primaries: peer " + peer.nodeId + " has " + epochText(peer.epoch), false, now,
               out);
        return;
      }
      if (witnessLost(now) && peerSilent(now)) {
        demote(Reason::Isolated, "isolated: witness and peer lost", false, now, out);
        return;
      }
      if (witnessLost(now) && peerFresh(now) && s_.peerHasWitness && !peer.failing) {
        demote(Reason::WitnessLost, "witness lost while the peer reaches its own: handing over",
               true, now, out);
        return;
      }
      // Probe awareness: the BIG-IP cannot reach this node (its service link, a filter on the
      // way) while it still reaches the peer — clients are lost here, not there.
      if (s_.phase == Phase::Primary && config_.monitorTimeout.count() > 0 && !monitored(now) &&
          elapsed(s_.bootAt, now, config_.monitorTimeout) && peerFresh(now) && peer.monitored &&
          !peer.failing && peer.witnessOk) {
        demote(Reason::MonitorLost,
               "the BIG-IP's monitor has not reached this node for " + ms(config_.monitorTimeout) +
                   " and reaches the peer: handing over",
               true, now, out);
        return;
      }
      if (s_.phase == Phase::Draining) {
        std::string why;
        if (elapsed(s_.phaseSince, now, config_.drainTimeout))
          why = "replication did not drain in " + ms(config_.drainTimeout);
        else if (!peerFresh(now))
          why = "the backup is no longer heard";
        else if (peer.failing)
          why = "the backup is failing";
        if (!why.empty()) {
          enter(Phase::Primary, now);
          out.emplace_back(ResumeTakingTransactions{});
          record(Phase::Draining, Reason::SwitchoverAbandoned, "switchover abandoned: " + why, out);
        }
      }
      return;
    }
  }
}

// --- promotion ---

std::string RoleMachine::promotionDetail(Reason reason) const {
  switch (reason) {
    case Reason::PeerSilent:
      return "peer silent " + ms(config_.deadInterval) + " on every path";
    case Reason::PeerFailing:
      return "peer " + s_.peer.nodeId + " failing";
    case Reason::PeerHandedOver:
      return "peer " + s_.peer.nodeId + " handed over";
    case Reason::TieBreak:
      return "no primary: this node wins the tie-break";
    default:
      return std::string{reasonName(reason)};
  }
}

void RoleMachine::startPromotion(Reason reason, TimePoint now, Actions& out) {
  enter(Phase::Promoting, now);
  s_.promotionReason = reason;
  // The highest epoch seen + 1; an epoch already on disk and never used serves again (a
  // promotion retried through a long partition does not write a new one each time).
  s_.promotionEpoch = std::max(s_.highestSeen + 1, s_.persistedEpoch);
  s_.step = PromotionStep::CheckingWitness;
  if (s_.witnessPending)
    s_.witnessStale = true;  // its answer may predate the silence: wait for a new one
  else
    askWitness(now, out);
}

void RoleMachine::advancePromotion(TimePoint now, Actions& out) {
  if (s_.step == PromotionStep::PersistingEpoch) {
    if (s_.persistedEpoch < s_.promotionEpoch) {
      if (!s_.persistPending) {
        s_.persistPending = true;
        out.emplace_back(PersistEpoch{s_.promotionEpoch});
      }
      return;  // EpochPersisted comes back here
    }
    s_.step = PromotionStep::CheckingServiceAddress;
  }
  if (s_.step == PromotionStep::CheckingServiceAddress) {
    if (s_.servicePending)
      s_.serviceStale = true;
    else
      askServiceAddress(now, out);
  }
}

void RoleMachine::abandonPromotion(Reason reason, std::string detail, TimePoint now, Actions& out) {
  enter(Phase::Backup, now);
  s_.backoffFrom = now;
  // A partition can make a backup retry for hours: the history holds the first of each run.
  if (s_.abandonLogged && s_.lastAbandon == reason) return;
  s_.abandonLogged = true;
  s_.lastAbandon = reason;
  record(Phase::Promoting, reason, "promotion abandoned: " + detail, out);
}

void RoleMachine::becomePrimary(TimePoint now, bool serviceUnknown, Actions& out) {
  s_.role = Role::Primary;
  s_.epoch = s_.promotionEpoch;
  s_.highestSeen = std::max(s_.highestSeen, s_.epoch);
  s_.abandonLogged = false;
  s_.serviceAskedAt = now;  // the check just made counts as the primary's first
  enter(Phase::Primary, now);
  out.emplace_back(SetRole{Role::Primary, s_.epoch});
  std::string detail = promotionDetail(s_.promotionReason);
  if (serviceUnknown) detail += "; service address not checked (no signal)";
  // Ready, or ready until the primary was lost (its loss took the replication link down).
  const bool caughtUp = s_.sipdReady || (s_.readyLostAt != kNever &&
                                         !elapsed(s_.readyLostAt, now, config_.deadInterval * 2));
  if (!caughtUp) detail += "; promoted while not ready for switchover";
  record(Phase::Promoting, s_.promotionReason, detail, out, !caughtUp);
}

void RoleMachine::demote(Reason reason, std::string detail, bool handOver, TimePoint now,
                         Actions& out) {
  const Phase from = s_.phase;
  s_.role = Role::Backup;
  s_.abandonLogged = false;
  s_.backoffFrom = now;
  enter(handOver ? Phase::HandingOver : Phase::Backup, now);
  out.emplace_back(SetRole{Role::Backup, s_.epoch});
  record(from, reason, std::move(detail), out);
}

void RoleMachine::enter(Phase phase, TimePoint now) {
  s_.phase = phase;
  s_.phaseSince = now;
}

void RoleMachine::refuseSwitchover(std::string why, Actions& out) {
  out.emplace_back(SwitchoverRefused{why});
  record(s_.phase, Reason::SwitchoverRefused, "switchover refused: " + why, out);
}

void RoleMachine::record(Phase from, Reason reason, std::string detail, Actions& out,
                         bool notReady) {
  out.emplace_back(History{from, s_.phase, s_.role, s_.epoch, reason, notReady, std::move(detail)});
}

// --- probes and heartbeats ---

void RoleMachine::askWitness(TimePoint now, Actions& out) {
  s_.witnessPending = true;
  s_.witnessAskedAt = now;
  out.emplace_back(ProbeWitness{});
}

void RoleMachine::askServiceAddress(TimePoint now, Actions& out) {
  s_.servicePending = true;
  s_.serviceAskedAt = now;
  out.emplace_back(ProbeServiceAddress{});
}

void RoleMachine::sendHeartbeats(PeerState state, TimePoint now, Actions& out) {
  s_.advertised = std::move(state);
  s_.heartbeatAt = now;
  out.emplace_back(SendHeartbeat{Path::HaLink, s_.advertised});
  out.emplace_back(SendHeartbeat{Path::Service, s_.advertised});
}

}  // namespace sipha::agent
