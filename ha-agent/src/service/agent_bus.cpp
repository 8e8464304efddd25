#include "service/agent_bus.hpp"

#include <cstring>
#include <exception>

#include "common/log/log.hpp"

namespace sipha::agent::service {
namespace {

AgentBus& busOf(void* userdata) noexcept { return *static_cast<AgentBus*>(userdata); }
const AgentStatus& statusOf(void* userdata) { return busOf(userdata).handler().status(); }

int appendRecord(sd_bus_message* m, const TransitionRecord& r) {
  return sd_bus_message_append(m, "(tssstsbs)", r.wallUsec, r.from.c_str(), r.to.c_str(),
                               r.role.c_str(), r.epoch, r.reason.c_str(), r.notReady ? 1 : 0,
                               r.detail.c_str());
}

// Properties: one getter per type, the field chosen by the property name.
int getString(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
              void* userdata, sd_bus_error*) {
  const AgentStatus& s = statusOf(userdata);
  const std::string* value = nullptr;
  if (!std::strcmp(property, "NodeId")) value = &s.nodeId;
  if (!std::strcmp(property, "Role")) value = &s.role;
  if (!std::strcmp(property, "Phase")) value = &s.phase;
  if (!std::strcmp(property, "LocalSipd")) value = &s.localSipd;
  if (!std::strcmp(property, "Witness")) value = &s.witness;
  if (!std::strcmp(property, "PeerNodeId")) value = &s.peerNodeId;
  if (!std::strcmp(property, "PeerRole")) value = &s.peerRole;
  if (value == nullptr) return -EINVAL;
  return sd_bus_message_append(reply, "s", value->c_str());
}

int getUint64(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
              void* userdata, sd_bus_error*) {
  const AgentStatus& s = statusOf(userdata);
  const std::uint64_t value = !std::strcmp(property, "Epoch") ? s.epoch : s.peerEpoch;
  return sd_bus_message_append(reply, "t", value);
}

int getBool(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
            void* userdata, sd_bus_error*) {
  const AgentStatus& s = statusOf(userdata);
  bool value = false;
  if (!std::strcmp(property, "ReadyForSwitchover")) value = s.ready;
  if (!std::strcmp(property, "WitnessReachable")) value = s.witnessReachable;
  if (!std::strcmp(property, "PeerReady")) value = s.peerReady;
  if (!std::strcmp(property, "PeerFailing")) value = s.peerFailing;
  if (!std::strcmp(property, "PeerWitnessReachable")) value = s.peerWitnessReachable;
  if (!std::strcmp(property, "Monitored")) value = s.monitored;
  if (!std::strcmp(property, "PeerMonitored")) value = s.peerMonitored;
  return sd_bus_message_append(reply, "b", value ? 1 : 0);
}

int getPeerPaths(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                 void* userdata, sd_bus_error*) {
  const AgentStatus& s = statusOf(userdata);
  int r = sd_bus_message_open_container(reply, SD_BUS_TYPE_ARRAY, "(sbt)");
  for (const auto& path : s.paths) {
    if (r >= 0) {
      r = sd_bus_message_append(reply, "(sbt)", path.name.c_str(), path.alive ? 1 : 0,
                                path.lastHeardMs);
    }
  }
  return r < 0 ? r : sd_bus_message_close_container(reply);
}

int getLastTransition(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                      void* userdata, sd_bus_error*) {
  return appendRecord(reply, statusOf(userdata).lastTransition);
}

int getCounters(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                void* userdata, sd_bus_error*) {
  const Counters counters = busOf(userdata).handler().counters();
  int r = sd_bus_message_open_container(reply, SD_BUS_TYPE_ARRAY, "{st}");
  for (const auto& [name, value] : counters) {
    if (r >= 0) r = sd_bus_message_append(reply, "{st}", name.c_str(), value);
  }
  return r < 0 ? r : sd_bus_message_close_container(reply);
}

int onGetHistory(sd_bus_message* call, void* userdata, sd_bus_error*) {
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(call, &reply);
  if (r < 0) return r;
  r = sd_bus_message_open_container(reply, SD_BUS_TYPE_ARRAY, "(tssstsbs)");
  for (const auto& record : busOf(userdata).handler().history()) {
    if (r >= 0) r = appendRecord(reply, record);
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

int onSwitchover(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  try {
    AgentBus& bus = busOf(userdata);
    bus.addPending(call);  // answered by finishSwitchover / failSwitchover
    bus.handler().switchoverRequested();
    return 1;
  } catch (const std::exception& e) {
    return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "agent failed: %s", e.what());
  }
}

constexpr std::uint64_t kChange = SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE;

const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("NodeId", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Role", "s", getString, 0, kChange),
    SD_BUS_PROPERTY("Phase", "s", getString, 0, kChange),
    SD_BUS_PROPERTY("Epoch", "t", getUint64, 0, kChange),
    SD_BUS_PROPERTY("LocalSipd", "s", getString, 0, kChange),
    SD_BUS_PROPERTY("ReadyForSwitchover", "b", getBool, 0, kChange),
    SD_BUS_PROPERTY("Witness", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("WitnessReachable", "b", getBool, 0, kChange),
    SD_BUS_PROPERTY("PeerNodeId", "s", getString, 0, kChange),
    SD_BUS_PROPERTY("PeerRole", "s", getString, 0, kChange),
    SD_BUS_PROPERTY("PeerEpoch", "t", getUint64, 0, kChange),
    SD_BUS_PROPERTY("PeerReady", "b", getBool, 0, kChange),
    SD_BUS_PROPERTY("PeerFailing", "b", getBool, 0, kChange),
    SD_BUS_PROPERTY("PeerWitnessReachable", "b", getBool, 0, kChange),
    SD_BUS_PROPERTY("Monitored", "b", getBool, 0, kChange),
    SD_BUS_PROPERTY("PeerMonitored", "b", getBool, 0, kChange),
    SD_BUS_PROPERTY("PeerPaths", "a(sbt)", getPeerPaths, 0, kChange),
    SD_BUS_PROPERTY("LastTransition", "(tssstsbs)", getLastTransition, 0, kChange),
    SD_BUS_PROPERTY("Counters", "a{st}", getCounters, 0, 0),
    SD_BUS_METHOD_WITH_NAMES("Switchover", "", "", "t", SD_BUS_PARAM(epoch), onSwitchover,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("GetHistory", "", "", "a(tssstsbs)", SD_BUS_PARAM(history),
                             onGetHistory, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_NAMES("Transition", "(tssstsbs)", SD_BUS_PARAM(transition), 0),
    SD_BUS_VTABLE_END,
};

}  // namespace

AgentBus::AgentBus(sd_bus* bus, AgentBusHandler& handler) : bus_(bus), handler_(handler) {}

AgentBus::~AgentBus() {
  for (auto* call : pendingSwitchovers_) sd_bus_message_unref(call);
  sd_bus_slot_unref(vtable_);
}

int AgentBus::start() {
  const int r =
      sd_bus_add_object_vtable(bus_, &vtable_, kAgentObjectPath, kAgentInterface, kVtable, this);
  if (r < 0) return r;
  return sd_bus_request_name(bus_, kAgentBusName, 0);
}

void AgentBus::publish(const AgentStatus& a, const AgentStatus& b) {
  std::vector<const char*> changed;
  const auto check = [&](bool differs, const char* name) {
    if (differs) changed.push_back(name);
  };
  check(a.role != b.role, "Role");
  check(a.phase != b.phase, "Phase");
  check(a.epoch != b.epoch, "Epoch");
  check(a.localSipd != b.localSipd, "LocalSipd");
  check(a.ready != b.ready, "ReadyForSwitchover");
  check(a.witnessReachable != b.witnessReachable, "WitnessReachable");
  check(a.peerNodeId != b.peerNodeId, "PeerNodeId");
  check(a.peerRole != b.peerRole, "PeerRole");
  check(a.peerEpoch != b.peerEpoch, "PeerEpoch");
  check(a.peerReady != b.peerReady, "PeerReady");
  check(a.peerFailing != b.peerFailing, "PeerFailing");
  check(a.peerWitnessReachable != b.peerWitnessReachable, "PeerWitnessReachable");
  check(a.monitored != b.monitored, "Monitored");
  check(a.peerMonitored != b.peerMonitored, "PeerMonitored");
  check(a.paths != b.paths, "PeerPaths");
  check(a.lastTransition != b.lastTransition, "LastTransition");
  if (changed.empty()) return;
  changed.push_back(nullptr);
  sd_bus_emit_properties_changed_strv(bus_, kAgentObjectPath, kAgentInterface,
                                      const_cast<char**>(changed.data()));
}

void AgentBus::emitTransition(const TransitionRecord& record) {
  sd_bus_message* signal = nullptr;
  if (sd_bus_message_new_signal(bus_, &signal, kAgentObjectPath, kAgentInterface, "Transition") <
      0) {
    return;
  }
  if (appendRecord(signal, record) >= 0) sd_bus_send(bus_, signal, nullptr);
  sd_bus_message_unref(signal);
}

void AgentBus::finishSwitchover(std::uint64_t epoch) {
  for (auto* call : pendingSwitchovers_) {
    sd_bus_reply_method_return(call, "t", epoch);
    sd_bus_message_unref(call);
  }
  pendingSwitchovers_.clear();
}

void AgentBus::failSwitchover(const char* errorName, const std::string& message) {
  for (auto* call : pendingSwitchovers_) {
    sd_bus_reply_method_errorf(call, errorName, "%s", message.c_str());
    sd_bus_message_unref(call);
  }
  pendingSwitchovers_.clear();
}

}  // namespace sipha::agent::service
