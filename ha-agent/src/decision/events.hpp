#pragma once
// What the role decision is told (docs/ha-agent.md, "Events"). Every event carries the monotonic
// instant it happened at; the driver (sockets, ICMP, D-Bus, the state file) turns the world into
// these and nothing else reaches the decision. Contract of the driver: every ProbeWitness,
// ProbeServiceAddress and PersistEpoch action is answered exactly once, in the order asked (a
// probe that times out is answered "unreachable" / "unknown", a failed write "not ok").
#include <cstdint>
#include <string>
#include <variant>

#include "decision/peer_state.hpp"
#include "decision/time.hpp"

namespace sipha::agent {

// The agent started (the process, or the node). persistedEpoch: the highest epoch on disk.
struct Boot {
  TimePoint now;
  std::uint64_t persistedEpoch = 0;
  // The local sipd already serves as primary with persistedEpoch: the agent restarted while
  // its node was the primary (systemd's Restart=, a crash). It resumes the role instead of
  // demoting a sipd whose live calls would be lost (docs/ha-agent.md, "An agent that dies").
  bool sipdServes = false;
};

// Time passes; the driver calls it at least every heartbeat interval.
struct Tick {
  TimePoint now;
};

// An authenticated heartbeat (HMAC and replay window checked by the transport). `seq` grows
// across the sender's restarts: an older one still proves the path works, but its state is not
// applied over a newer one's.
struct HeartbeatReceived {
  TimePoint now;
  Path path = Path::HaLink;
  PeerState peer;
  std::uint64_t seq = 0;
};

// The answer to ProbeWitness (ICMP echo to the BIG-IP self IP, or the gateway in takeover mode).
struct WitnessResult {
  TimePoint now;
  bool reachable = false;
};

// The answer to ProbeServiceAddress: does another node answer the service address (sip-address)?
// ServedByOther names it and the epoch it serves with (the OPTIONS answer says both);
// Unknown: the driver has no signal (docs/ha-agent.md, "The service address").
enum class ServiceAddress : std::uint8_t { NotServed, ServedByOther, Unknown };

struct ServiceAddressProbed {
  TimePoint now;
  ServiceAddress result = ServiceAddress::Unknown;
  std::string serverNodeId;
  std::uint64_t serverEpoch = 0;
};

// The answer to PersistEpoch: written and fsynced (ok), or the write failed.
struct EpochPersisted {
  TimePoint now;
  std::uint64_t epoch = 0;
  bool ok = true;
};

// The local sipd: its process (death seen through pidfd / NameOwnerChanged, a hang through the
// watchdog or an unanswered call) and its ReadyForSwitchover.
enum class SipdHealth : std::uint8_t { Alive, Dead, Hung };

// As org.sipha.Agent1's LocalSipd spells it.
constexpr const char* healthName(SipdHealth health) noexcept {
  switch (health) {
    case SipdHealth::Alive:
      return "alive";
    case SipdHealth::Dead:
      return "dead";
    case SipdHealth::Hung:
      return "hung";
  }
  return "?";
}

struct LocalSipdState {
  TimePoint now;
  SipdHealth health = SipdHealth::Alive;
  bool ready = false;
};

// The operator asks for a switchover (org.sipha.Agent1.Switchover, "Force to Standby").
struct SwitchoverRequested {
  TimePoint now;
};

// The local sipd, asked to stop taking transactions, has every replicated event acknowledged.
struct HandoverComplete {
  TimePoint now;
};

// The BIG-IP's monitor reached this node: its sipd answered (primary) or dropped (backup) a
// probe from the monitor's address since the driver last looked (probe awareness).
struct MonitorProbed {
  TimePoint now;
};

using Event =
    std::variant<Boot, Tick, HeartbeatReceived, WitnessResult, ServiceAddressProbed, EpochPersisted,
                 LocalSipdState, SwitchoverRequested, HandoverComplete, MonitorProbed>;

inline TimePoint eventTime(const Event& event) {
  return std::visit([](const auto& e) { return e.now; }, event);
}

}  // namespace sipha::agent
