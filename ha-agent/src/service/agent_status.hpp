#pragma once
// What org.sipha.Agent1 shows (docs/ha-agent.md, "org.sipha.Agent1"): the decision's state in the
// bus's words, built by the driver after every event, compared field by field to emit
// PropertiesChanged for what changed.
#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace sipha::agent::service {

// One entry of the transition history (and the Transition signal): (tssstsbs).
struct TransitionRecord {
  std::uint64_t wallUsec = 0;  // CLOCK_REALTIME, microseconds since the epoch
  std::string from;
  std::string to;
  std::string role;  // after the entry
  std::uint64_t epoch = 0;
  std::string reason;
  bool notReady = false;
  std::string detail;

  friend bool operator==(const TransitionRecord&, const TransitionRecord&) = default;
};

struct PathStatus {
  std::string name;  // "ha-link", "service"
  bool alive = false;
  std::uint64_t lastHeardMs = UINT64_MAX;  // ms since its last heartbeat; UINT64_MAX: never

  // Compared without the age, which changes all the time (no signal for it).
  friend bool operator==(const PathStatus& a, const PathStatus& b) {
    return a.name == b.name && a.alive == b.alive;
  }
};

struct AgentStatus {
  std::string nodeId;
  std::string role = "backup";
  std::string phase = "starting";
  std::uint64_t epoch = 0;
  std::string localSipd = "dead";
  bool ready = false;
  std::string witness;
  bool witnessReachable = false;
  bool monitored = false;  // the BIG-IP's monitor reaches this node (false: probe awareness off)
  std::string peerNodeId;
  std::string peerRole = "backup";
  std::uint64_t peerEpoch = 0;
  bool peerReady = false;
  bool peerFailing = false;
  bool peerWitnessReachable = false;
  bool peerMonitored = false;
  std::array<PathStatus, 2> paths{};
  TransitionRecord lastTransition;
};

using Counters = std::map<std::string, std::uint64_t>;

}  // namespace sipha::agent::service
