#pragma once
// What sipha-agent shows on org.sipha.Agent1, as plain values: the properties read into one
// struct, and one property's value on its own (a PropertiesChanged entry). No bus here.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sipha::siphactl {

// PeerPaths' "milliseconds since the last heartbeat" when none ever arrived on that path.
inline constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// One heartbeat path to the peer ("ha-link", "service"), a(sbt).
struct HeartbeatPath {
  std::string name;
  bool alive = false;            // heard within the dead interval
  std::uint64_t ageMs = kNever;  // since its last heartbeat
  bool operator==(const HeartbeatPath&) const = default;
};

// One history entry, (tssstsbs): LastTransition, GetHistory() and the Transition signal.
struct Transition {
  std::uint64_t timeUs = 0;  // wall clock, unix time in microseconds
  std::string from;          // phase
  std::string to;            // phase
  std::string role;          // role after
  std::uint64_t epoch = 0;   // epoch after
  std::string reason;        // e.g. "peer-silent"
  bool notReady = false;     // promoted while not ready for switchover
  std::string detail;
  bool operator==(const Transition&) const = default;
};

// An agent that has made no transition yet shows an empty entry.
bool isEmpty(const Transition& transition);

using Counters = std::map<std::string, std::uint64_t, std::less<>>;

// Every org.sipha.Agent1 property. Strings the agent has not set stay empty.
struct AgentStatus {
  std::string nodeId;
  std::string role;   // "primary" | "backup"
  std::string phase;  // "starting" | "backup" | "promoting" | "primary" | "draining" |
                      // "handing-over"
  std::uint64_t epoch = 0;
  std::string localSipd;  // "alive" | "dead" | "hung"
  bool readyForSwitchover = false;
  std::string witness;  // address
  bool witnessReachable = false;
  std::string peerNodeId;  // "" before the peer was ever heard
  std::string peerRole;
  std::uint64_t peerEpoch = 0;
  bool peerReady = false;
  bool peerFailing = false;
  bool peerWitnessReachable = false;
  std::vector<HeartbeatPath> peerPaths;
  Transition lastTransition;
  Counters counters;
  bool operator==(const AgentStatus&) const = default;
};

// One property's value, of one of the interface's six types.
using PropertyValue = std::variant<std::string, std::uint64_t, bool, std::vector<HeartbeatPath>,
                                   Transition, Counters>;

// The D-Bus signature of a known property ("s", "t", "b", "a(sbt)", "(tssstsbs)", "a{st}"), or
// nullopt for a name the interface does not have (a newer agent: ignored).
std::optional<std::string_view> propertySignature(std::string_view name);

// The signature of a value's type.
std::string_view signatureOf(const PropertyValue& value);

// The property's value in `status`; nullopt for an unknown name.
std::optional<PropertyValue> propertyValue(const AgentStatus& status, std::string_view name);

// Stores `value` as property `name`; false (and `status` unchanged) when the name is unknown or
// the value's type is not the property's.
bool setProperty(AgentStatus& status, std::string_view name, const PropertyValue& value);

// Every property name, in the interface's order.
const std::vector<std::string_view>& propertyNames();

}  // namespace sipha::siphactl
