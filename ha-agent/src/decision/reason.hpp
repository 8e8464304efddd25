#pragma once
// Why the role decision did what it did: every transition, abandoned promotion and refused
// switchover names one of these in the history (org.sipha.Agent1's transition history), with a
// detail such as the silence measured or the epoch seen.
#include <cstdint>
#include <string_view>

namespace sipha::agent {

enum class Reason : std::uint8_t {
  Boot,                  // started as backup
  ResumedPrimary,        // started while its sipd served as primary with the epoch on disk
  PeerHeard,             // start-up: the peer answered
  StartupWaitOver,       // start-up: the peer was not heard in the start-up wait
  PeerSilent,            // promote: silent on every path for the dead interval
  PeerFailing,           // promote: the peer's sipd is dead or hung
  PeerHandedOver,        // promote: switchover, the peer drained and demoted
  TieBreak,              // promote: two backups, no primary, this one preferred
  WitnessUnreachable,    // promotion abandoned: this node is the one cut off
  ServiceAddressServed,  // promotion abandoned: another node serves the service address
  PeerAlive,             // promotion abandoned: the peer was heard and is primary or preferred
  EpochNotPersisted,     // promotion abandoned: the epoch could not be written
  LocalSipdFailing,      // demote / abandon: the local sipd died or hangs
  HigherEpochSeen,       // demote: two primaries, the other outranks this one
  Isolated,              // demote: witness and peer lost together
  WitnessLost,           // demote and hand over: the peer still reaches its witness
  SwitchoverRequested,   // primary drains
  SwitchoverDone,        // drained and demoted, the peer is asked to take over
  SwitchoverAbandoned,   // drain timed out or the peer stopped being able to take over
  SwitchoverRefused,     // refused before anything changed
  PeerTookOver,          // the switchover finished
  HandoverTimedOut,      // the peer did not take over: back to the ordinary rules
  MonitorLost,           // the BIG-IP's monitor no longer reaches this primary, it reaches the peer
};

constexpr std::string_view reasonName(Reason r) noexcept {
  switch (r) {
    case Reason::Boot:
      return "boot";
    case Reason::ResumedPrimary:
      return "resumed-primary";
    case Reason::PeerHeard:
      return "peer-heard";
    case Reason::StartupWaitOver:
      return "startup-wait-over";
    case Reason::PeerSilent:
      return "peer-silent";
    case Reason::PeerFailing:
      return "peer-failing";
    case Reason::PeerHandedOver:
      return "peer-handed-over";
    case Reason::TieBreak:
      return "tie-break";
    case Reason::WitnessUnreachable:
      return "witness-unreachable";
    case Reason::ServiceAddressServed:
      return "service-address-served";
    case Reason::PeerAlive:
      return "peer-alive";
    case Reason::EpochNotPersisted:
      return "epoch-not-persisted";
    case Reason::LocalSipdFailing:
      return "local-sipd-failing";
    case Reason::HigherEpochSeen:
      return "higher-epoch-seen";
    case Reason::Isolated:
      return "isolated";
    case Reason::WitnessLost:
      return "witness-lost";
    case Reason::SwitchoverRequested:
      return "switchover-requested";
    case Reason::SwitchoverDone:
      return "switchover-done";
    case Reason::SwitchoverAbandoned:
      return "switchover-abandoned";
    case Reason::SwitchoverRefused:
      return "switchover-refused";
    case Reason::PeerTookOver:
      return "peer-took-over";
    case Reason::HandoverTimedOut:
      return "handover-timed-out";
    case Reason::MonitorLost:
      return "monitor-lost";
  }
  return "?";
}

}  // namespace sipha::agent
