#pragma once
// What the role decision asks of its driver (docs/ha-agent.md, "Actions"), in the order they must
// be carried out. The ordering guarantees the protocol relies on: PersistEpoch(e) is answered
// (EpochPersisted) before any SetRole(primary, e) is emitted; a SetRole never carries an epoch
// lower than an earlier one; heartbeats go out on both paths whenever what they say changes.
#include <cstdint>
#include <string>
#include <variant>

#include "decision/peer_state.hpp"
#include "decision/phase.hpp"
#include "decision/reason.hpp"

namespace sipha::agent {

// Sign (HMAC, next sequence number) and send on `path`.
struct SendHeartbeat {
  Path path = Path::HaLink;
  PeerState state;
};

// To the local sipd and sipha-netcfg (both refuse a lower epoch).
struct SetRole {
  Role role = Role::Backup;
  std::uint64_t epoch = 0;
};

// Write and fsync the epoch; answer with EpochPersisted.
struct PersistEpoch {
  std::uint64_t epoch = 0;
};

// ICMP echo to the witness; answer with WitnessResult.
struct ProbeWitness {};

// Ask who serves the service address; answer with ServiceAddressProbed.
struct ProbeServiceAddress {};

// Switchover: sipd takes no new transactions and reports HandoverComplete once its replication
// drained; Resume undoes it when the switchover is abandoned.
struct StopTakingTransactions {};
struct ResumeTakingTransactions {};

// The answer to the operator's Switchover(): nothing changed, and why.
struct SwitchoverRefused {
  std::string why;
};

// One entry of the transition history (and of the journal): a phase change, an abandoned
// promotion or a refused switchover, with its reason.
struct History {
  Phase from = Phase::Starting;
  Phase to = Phase::Starting;
  Role role = Role::Backup;  // after the entry
  std::uint64_t epoch = 0;   // after the entry
  Reason reason = Reason::Boot;
  bool notReady = false;  // a promotion of a backup that was not ReadyForSwitchover
  std::string detail;
};

using Action =
    std::variant<SendHeartbeat, SetRole, PersistEpoch, ProbeWitness, ProbeServiceAddress,
                 StopTakingTransactions, ResumeTakingTransactions, SwitchoverRefused, History>;

}  // namespace sipha::agent
