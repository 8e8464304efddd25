#include "siphactl/agent_status.hpp"

#include <type_traits>
#include <utility>

namespace sipha::siphactl {
namespace {

template <typename T>
constexpr std::string_view signatureOfType() {
  if constexpr (std::is_same_v<T, std::string>) {
    return "s";
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return "t";
  } else if constexpr (std::is_same_v<T, bool>) {
    return "b";
  } else if constexpr (std::is_same_v<T, std::vector<HeartbeatPath>>) {
    return "a(sbt)";
  } else if constexpr (std::is_same_v<T, Transition>) {
    return "(tssstsbs)";
  } else {
    static_assert(std::is_same_v<T, Counters>);
    return "a{st}";
  }
}

struct Entry {
  std::string_view name;
  std::string_view signature;
  PropertyValue (*get)(const AgentStatus&);
  bool (*set)(AgentStatus&, const PropertyValue&);
};

template <auto Member>
Entry entry(std::string_view name) {
  using T = std::remove_cvref_t<decltype(std::declval<AgentStatus&>().*Member)>;
  return {name, signatureOfType<T>(),
          [](const AgentStatus& status) -> PropertyValue { return status.*Member; },
          [](AgentStatus& status, const PropertyValue& value) {
            const T* typed = std::get_if<T>(&value);
            if (typed == nullptr) return false;
            status.*Member = *typed;
            return true;
          }};
}

const std::vector<Entry>& entries() {
  static const std::vector<Entry> table{
      entry<&AgentStatus::nodeId>("NodeId"),
      entry<&AgentStatus::role>("Role"),
      entry<&AgentStatus::phase>("Phase"),
      entry<&AgentStatus::epoch>("Epoch"),
      entry<&AgentStatus::localSipd>("LocalSipd"),
      entry<&AgentStatus::readyForSwitchover>("ReadyForSwitchover"),
      entry<&AgentStatus::witness>("Witness"),
      entry<&AgentStatus::witnessReachable>("WitnessReachable"),
      entry<&AgentStatus::peerNodeId>("PeerNodeId"),
      entry<&AgentStatus::peerRole>("PeerRole"),
      entry<&AgentStatus::peerEpoch>("PeerEpoch"),
      entry<&AgentStatus::peerReady>("PeerReady"),
      entry<&AgentStatus::peerFailing>("PeerFailing"),
      entry<&AgentStatus::peerWitnessReachable>("PeerWitnessReachable"),
      entry<&AgentStatus::peerPaths>("PeerPaths"),
      entry<&AgentStatus::lastTransition>("LastTransition"),
      entry<&AgentStatus::counters>("Counters"),
  };
  return table;
}

const Entry* find(std::string_view name) {
  for (const auto& candidate : entries()) {
    if (candidate.name == name) return &candidate;
  }
  return nullptr;
}

}  // namespace

bool isEmpty(const Transition& transition) {
  return transition.timeUs == 0 && transition.from.empty() && transition.to.empty();
}

std::optional<std::string_view> propertySignature(std::string_view name) {
  const Entry* found = find(name);
  if (found == nullptr) return std::nullopt;
  return found->signature;
}

std::string_view signatureOf(const PropertyValue& value) {
  return std::visit(
      [](const auto& typed) { return signatureOfType<std::remove_cvref_t<decltype(typed)>>(); },
      value);
}

std::optional<PropertyValue> propertyValue(const AgentStatus& status, std::string_view name) {
  const Entry* found = find(name);
  if (found == nullptr) return std::nullopt;
  return found->get(status);
}

bool setProperty(AgentStatus& status, std::string_view name, const PropertyValue& value) {
  const Entry* found = find(name);
  return found != nullptr && found->set(status, value);
}

const std::vector<std::string_view>& propertyNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> all;
    for (const auto& candidate : entries()) all.push_back(candidate.name);
    return all;
  }();
  return names;
}

}  // namespace sipha::siphactl
