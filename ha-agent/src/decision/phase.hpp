#pragma once
// Where a node stands in the role protocol (docs/ha-agent.md, "States"). The role the local sipd
// and netcfg hold follows from it: primary in Primary and Draining, backup everywhere else.
#include <cstdint>
#include <string_view>

namespace sipha::agent {

enum class Phase : std::uint8_t {
  Starting,     // booted as backup, waits for the peer (start-up wait) before it may promote
  Backup,       // promotes when a promotion reason holds
  Promoting,    // still backup: checks the witness, persists the epoch, checks the service address
  Primary,      //
  Draining,     // primary, switchover: takes no new transactions until replication drained
  HandingOver,  // backup after a switchover: asks the peer to take over until it has
};

constexpr std::string_view phaseName(Phase p) noexcept {
  switch (p) {
    case Phase::Starting:
      return "starting";
    case Phase::Backup:
      return "backup";
    case Phase::Promoting:
      return "promoting";
    case Phase::Primary:
      return "primary";
    case Phase::Draining:
      return "draining";
    case Phase::HandingOver:
      return "handing-over";
  }
  return "?";
}

// The steps of a promotion, in this order: the witness first (cheap, and a cut-off node stops
// there), then the epoch on disk, and the service address last, so nothing separates the answer
// "nobody serves it" from SetRole(primary) but this machine's own reaction.
enum class PromotionStep : std::uint8_t {
  CheckingWitness,
  PersistingEpoch,
  CheckingServiceAddress
};

}  // namespace sipha::agent
