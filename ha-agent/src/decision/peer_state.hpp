#pragma once
// What a heartbeat says about its sender (docs/ha-agent.md, "Heartbeats"), the two paths it
// travels, and the order the pair agrees on: which of two primaries keeps the role (epochs are
// fencing tokens, DESIGN.md "Hot standby"), and which of two backups takes it when nobody holds
// it. The order is total, so two nodes that know each other's epoch never disagree, and a
// promotion only raises the winner's epoch: a backup that has not heard of it yet still yields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/ha/role.hpp"

namespace sipha::agent {

using common::Role;

// The HA link and the service network: a peer is silent only when it is silent on both.
enum class Path : std::uint8_t { HaLink, Service };
inline constexpr std::size_t kPathCount = 2;

constexpr std::string_view pathName(Path path) noexcept {
  return path == Path::HaLink ? std::string_view{"ha-link"} : std::string_view{"service"};
}

// The sender's state. The sequence number and the authentication are the transport's
// (HeartbeatReceived carries the sequence); this is the part the decision reads.
struct PeerState {
  std::string nodeId;
  Role role = Role::Backup;
  std::uint64_t epoch = 0;   // of the sender's current role
  bool failing = false;      // its sipd is dead or hung: it cannot serve, take over
  bool ready = false;        // its sipd is ReadyForSwitchover (a backup that caught up)
  bool witnessOk = false;    // its witness answers it
  bool handingOver = false;  // it drained and demoted for a switchover: the receiver takes over
  // The BIG-IP's monitor reached it (its probes answered or dropped by its sipd) within the
  // monitor timeout; always false with probe awareness off (docs/ha-agent.md, "Probe
  // awareness").
  bool monitored = false;

  friend bool operator==(const PeerState&, const PeerState&) = default;
};

// The higher epoch first (two primaries: it keeps the role; two backups: it held the role last,
// its sipd has the newest state), then the lower node id.
constexpr bool outranks(std::uint64_t epoch, std::string_view nodeId, std::uint64_t otherEpoch,
                        std::string_view otherNodeId) noexcept {
  if (epoch != otherEpoch) return epoch > otherEpoch;
  return nodeId < otherNodeId;
}

}  // namespace sipha::agent
