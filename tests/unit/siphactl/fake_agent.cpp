#include "fake_agent.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <stdexcept>
#include <type_traits>

#include "siphactl/agent_client.hpp"
#include "siphactl/agent_names.hpp"

namespace sipha::siphactl::test {
namespace {

int appendTransition(sd_bus_message* m, const Transition& t, bool flat) {
  return sd_bus_message_append(m, flat ? "tssstsbs" : "(tssstsbs)", t.timeUs, t.from.c_str(),
                               t.to.c_str(), t.role.c_str(), t.epoch, t.reason.c_str(),
                               t.notReady ? 1 : 0, t.detail.c_str());
}

// A value in its own D-Bus type (no variant around it).
int appendValue(sd_bus_message* m, const PropertyValue& value) {
  return std::visit(
      [m](const auto& typed) -> int {
        using T = std::remove_cvref_t<decltype(typed)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return sd_bus_message_append(m, "s", typed.c_str());
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
          return sd_bus_message_append(m, "t", typed);
        } else if constexpr (std::is_same_v<T, bool>) {
          return sd_bus_message_append(m, "b", typed ? 1 : 0);
        } else if constexpr (std::is_same_v<T, std::vector<HeartbeatPath>>) {
          int r = sd_bus_message_open_container(m, 'a', "(sbt)");
          for (const auto& path : typed) {
            if (r >= 0) {
              r = sd_bus_message_append(m, "(sbt)", path.name.c_str(), path.alive ? 1 : 0,
                                        path.ageMs);
            }
          }
          return r < 0 ? r : sd_bus_message_close_container(m);
        } else if constexpr (std::is_same_v<T, Transition>) {
          return appendTransition(m, typed, false);
        } else {
          int r = sd_bus_message_open_container(m, 'a', "{st}");
          for (const auto& [name, count] : typed) {
            if (r >= 0) r = sd_bus_message_append(m, "{st}", name.c_str(), count);
          }
          return r < 0 ? r : sd_bus_message_close_container(m);
        }
      },
      value);
}

FakeAgent& agentOf(void* userdata) { return *static_cast<FakeAgent*>(userdata); }

}  // namespace

AgentStatus healthyPrimary() {
  AgentStatus s;
  s.nodeId = "sipha-a";
  s.role = "primary";
  s.phase = "primary";
  s.epoch = 7;
  s.localSipd = "alive";
  s.readyForSwitchover = true;
  s.witness = "192.0.2.1";
  s.witnessReachable = true;
  s.peerNodeId = "sipha-b";
  s.peerRole = "backup";
  s.peerEpoch = 7;
  s.peerReady = true;
  s.peerFailing = false;
  s.peerWitnessReachable = true;
  s.peerPaths = {{"ha-link", true, 12}, {"service", true, 8}};
  s.lastTransition = {
      1'795'701'787'123'456,      "promoting", "primary", "primary", 7, "peer-silent", false,
      "peer silent on both paths"};
  s.counters = {{"heartbeats.sent", 1200}, {"heartbeats.received", 1187}, {"promotions", 1}};
  return s;
}

FakeAgent::FakeAgent(sd_event* event, AgentStatus status, std::vector<Transition> history)
    : event_(event), status_(std::move(status)), history_(std::move(history)) {}

FakeAgent::~FakeAgent() {
  for (sd_bus_message* call : unanswered_) sd_bus_message_unref(call);
  for (sd_bus_slot* slot : slots_) sd_bus_slot_unref(slot);
  if (bus_ != nullptr) {
    sd_bus_detach_event(bus_);
    sd_bus_flush_close_unref(bus_);
  }
}

int FakeAgent::getProperty(sd_bus*, const char*, const char*, const char* property,
                           sd_bus_message* reply, void* userdata, sd_bus_error*) noexcept {
  const auto value = propertyValue(agentOf(userdata).status_, property);
  if (!value) return -ENOENT;
  return appendValue(reply, *value);
}

int FakeAgent::onGetHistory(sd_bus_message* call, void* userdata, sd_bus_error*) noexcept {
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(call, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(tssstsbs)");
  for (const auto& entry : agentOf(userdata).history_) {
    if (r >= 0) r = appendTransition(reply, entry, false);
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

int FakeAgent::onDelayedReply(sd_event_source* source, std::uint64_t, void* userdata) noexcept {
  auto& agent = agentOf(userdata);
  if (!agent.unanswered_.empty()) {
    sd_bus_message* call = agent.unanswered_.front();
    agent.unanswered_.erase(agent.unanswered_.begin());
    sd_bus_reply_method_return(call, "t", agent.switchover_.epoch);
    sd_bus_message_unref(call);
  }
  sd_event_source_unref(source);
  return 0;
}

int FakeAgent::onSwitchover(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  auto& agent = agentOf(userdata);
  const auto& answer = agent.switchover_;
  if (answer.mode == "refused") {
    return sd_bus_error_set(error, kErrorSwitchoverRefused, answer.message.c_str());
  }
  if (answer.mode == "abandoned") {
    return sd_bus_error_set(error, kErrorSwitchoverAbandoned, answer.message.c_str());
  }
  if (answer.mode == "silent") {
    agent.unanswered_.push_back(sd_bus_message_ref(call));
    return 1;
  }
  if (answer.delayMs == 0) return sd_bus_reply_method_return(call, "t", answer.epoch);
  std::uint64_t now = 0;
  sd_event_now(agent.event_, CLOCK_MONOTONIC, &now);
  agent.unanswered_.push_back(sd_bus_message_ref(call));
  const int r = sd_event_add_time(agent.event_, nullptr, CLOCK_MONOTONIC,
                                  now + answer.delayMs * 1000, 0, onDelayedReply, &agent);
  return r < 0 ? r : 1;  // handled: the reply follows
}

int FakeAgent::onSet(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  auto& agent = agentOf(userdata);
  const char* name = nullptr;
  const char* contents = nullptr;
  int r = sd_bus_message_read_basic(call, 's', &name);
  if (r > 0) r = sd_bus_message_peek_type(call, nullptr, &contents);
  if (r <= 0) return r < 0 ? r : -EINVAL;
  PropertyValue value;
  r = sd_bus_message_enter_container(call, 'v', contents);
  if (r > 0) r = readValue(call, contents, value);
  if (r <= 0 || !setProperty(agent.status_, name, value)) {
    return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "cannot set %s to a %s", name,
                             contents);
  }
  if (std::strcmp(name, "Counters") != 0) {
    r = sd_bus_emit_properties_changed(agent.bus_, kAgentPath, kAgentInterface, name, nullptr);
    if (r < 0) return r;
  }
  return sd_bus_reply_method_return(call, nullptr);
}

int FakeAgent::onAddTransition(sd_bus_message* call, void* userdata, sd_bus_error*) noexcept {
  auto& agent = agentOf(userdata);
  Transition entry;
  int flat = 0;
  int r = readTransition(call, entry);
  if (r > 0) r = sd_bus_message_read_basic(call, 'b', &flat);
  if (r <= 0) return r < 0 ? r : -EINVAL;
  agent.history_.push_back(entry);
  agent.status_.lastTransition = entry;
  sd_bus_message* signal = nullptr;
  r = sd_bus_message_new_signal(agent.bus_, &signal, kAgentPath, kAgentInterface, "Transition");
  if (r >= 0) r = appendTransition(signal, entry, flat != 0);
  if (r >= 0) r = sd_bus_send(agent.bus_, signal, nullptr);
  sd_bus_message_unref(signal);
  if (r >= 0) {
    r = sd_bus_emit_properties_changed(agent.bus_, kAgentPath, kAgentInterface, "LastTransition",
                                       nullptr);
  }
  if (r < 0) return r;
  return sd_bus_reply_method_return(call, nullptr);
}

int FakeAgent::onInvalidate(sd_bus_message* call, void* userdata, sd_bus_error*) noexcept {
  auto& agent = agentOf(userdata);
  const char* name = nullptr;
  int r = sd_bus_message_read_basic(call, 's', &name);
  if (r <= 0) return r < 0 ? r : -EINVAL;
  sd_bus_message* signal = nullptr;
  r = sd_bus_message_new_signal(agent.bus_, &signal, kAgentPath, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged");
  if (r >= 0) r = sd_bus_message_append(signal, "sa{sv}as", kAgentInterface, 0, 1, name);
  if (r >= 0) r = sd_bus_send(agent.bus_, signal, nullptr);
  sd_bus_message_unref(signal);
  if (r < 0) return r;
  return sd_bus_reply_method_return(call, nullptr);
}

int FakeAgent::onSetSwitchover(sd_bus_message* call, void* userdata, sd_bus_error*) noexcept {
  auto& agent = agentOf(userdata);
  const char* mode = nullptr;
  const char* message = nullptr;
  std::uint64_t epoch = 0;
  std::uint64_t delayMs = 0;
  const int r = sd_bus_message_read(call, "sstt", &mode, &message, &epoch, &delayMs);
  if (r <= 0) return r < 0 ? r : -EINVAL;
  agent.switchover_ = {mode, message, epoch, delayMs};
  return sd_bus_reply_method_return(call, nullptr);
}

int FakeAgent::onVanish(sd_bus_message* call, void* userdata, sd_bus_error*) noexcept {
  const int r = sd_bus_release_name(agentOf(userdata).bus_, kAgentService);
  if (r < 0) return r;
  return sd_bus_reply_method_return(call, nullptr);
}

int FakeAgent::onReturn(sd_bus_message* call, void* userdata, sd_bus_error*) noexcept {
  const int r = sd_bus_request_name(agentOf(userdata).bus_, kAgentService, 0);
  if (r < 0) return r;
  return sd_bus_reply_method_return(call, nullptr);
}

int FakeAgent::start() {
  static const sd_bus_vtable agentVtable[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_PROPERTY("NodeId", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("Role", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("Phase", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("Epoch", "t", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("LocalSipd", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("ReadyForSwitchover", "b", getProperty, 0,
                      SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("Witness", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("WitnessReachable", "b", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("PeerNodeId", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("PeerRole", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("PeerEpoch", "t", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("PeerReady", "b", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("PeerFailing", "b", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("PeerWitnessReachable", "b", getProperty, 0,
                      SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("PeerPaths", "a(sbt)", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("LastTransition", "(tssstsbs)", getProperty, 0,
                      SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("Counters", "a{st}", getProperty, 0, 0),
      SD_BUS_METHOD_WITH_ARGS("Switchover", SD_BUS_NO_ARGS, SD_BUS_RESULT("t", epoch), onSwitchover,
                              SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_ARGS("GetHistory", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(tssstsbs)", history),
                              onGetHistory, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_SIGNAL_WITH_ARGS("Transition",
                              SD_BUS_ARGS("t", time, "s", from, "s", to, "s", role, "t", epoch, "s",
                                          reason, "b", notReady, "s", detail),
                              0),
      SD_BUS_VTABLE_END,
  };
  static const sd_bus_vtable controlVtable[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_METHOD("Set", "sv", "", onSet, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD("AddTransition", "(tssstsbs)b", "", onAddTransition,
                    SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD("Invalidate", "s", "", onInvalidate, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD("SetSwitchover", "sstt", "", onSetSwitchover, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD("Vanish", "", "", onVanish, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD("Return", "", "", onReturn, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_VTABLE_END,
  };
  int r = sd_bus_open_system_with_description(&bus_, "fake-sipha-agent");
  sd_bus_slot* slot = nullptr;
  if (r >= 0)
    r = sd_bus_add_object_vtable(bus_, &slot, kAgentPath, kAgentInterface, agentVtable, this);
  if (r >= 0) slots_.push_back(slot);
  if (r >= 0) {
    r = sd_bus_add_object_vtable(bus_, &slot, kAgentPath, kFakeControlInterface, controlVtable,
                                 this);
  }
  if (r >= 0) slots_.push_back(slot);
  if (r >= 0) r = sd_bus_attach_event(bus_, event_, SD_EVENT_PRIORITY_NORMAL);
  if (r >= 0) r = sd_bus_request_name(bus_, kAgentService, 0);
  return r;
}

FakeAgentThread::FakeAgentThread(AgentStatus status, std::vector<Transition> history) {
  stopFd_ = eventfd(0, EFD_CLOEXEC);
  if (stopFd_ < 0) throw std::runtime_error("eventfd failed");
  std::promise<int> started;
  auto result = started.get_future();
  thread_ = std::thread(
      [this, &started, status = std::move(status), history = std::move(history)]() mutable {
        sd_event* event = nullptr;
        if (sd_event_new(&event) < 0) {
          started.set_value(-ENOMEM);
          return;
        }
        {
          FakeAgent agent{event, std::move(status), std::move(history)};
          const int r = agent.start();
          if (r >= 0) {
            sd_event_add_io(
                event, nullptr, stopFd_, EPOLLIN,
                [](sd_event_source* source, int, std::uint32_t, void*) {
                  return sd_event_exit(sd_event_source_get_event(source), 0);
                },
                nullptr);
          }
          started.set_value(r);
          if (r >= 0) sd_event_loop(event);
        }
        sd_event_unref(event);
      });
  startResult_ = result.get();
}

FakeAgentThread::~FakeAgentThread() {
  const std::uint64_t one = 1;
  if (write(stopFd_, &one, sizeof one) < 0) {
    // the thread may already have ended (start failed)
  }
  if (thread_.joinable()) thread_.join();
  close(stopFd_);
}

FakeControl::FakeControl() {
  if (sd_bus_open_system(&bus_) < 0) throw std::runtime_error("FakeControl: no bus");
}

FakeControl::~FakeControl() { sd_bus_flush_close_unref(bus_); }

void FakeControl::call(const char* member, const std::function<int(sd_bus_message*)>& append) {
  sd_bus_message* request = nullptr;
  sd_bus_message* reply = nullptr;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  int r = 0;
  if (agentConnection_.empty()) {
    // The fake's own connection, so that it can still be told to come back after Vanish().
    const char* owner = nullptr;
    r = sd_bus_call_method(bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "GetNameOwner", &error, &reply, "s",
                           kAgentService);
    if (r >= 0) r = sd_bus_message_read(reply, "s", &owner);
    if (r > 0) agentConnection_ = owner;
    reply = sd_bus_message_unref(reply);
  }
  if (r >= 0) {
    r = sd_bus_message_new_method_call(bus_, &request, agentConnection_.c_str(), kAgentPath,
                                       kFakeControlInterface, member);
  }
  if (r >= 0 && append) r = append(request);
  if (r >= 0) r = sd_bus_call(bus_, request, 5'000'000, &error, &reply);
  const std::string why = error.message != nullptr ? error.message : std::strerror(-r);
  sd_bus_message_unref(request);
  sd_bus_message_unref(reply);
  sd_bus_error_free(&error);
  if (r < 0) throw std::runtime_error(std::string{"FakeControl."} + member + ": " + why);
}

void FakeControl::set(const std::string& name, const PropertyValue& value) {
  call("Set", [&](sd_bus_message* m) {
    const std::string signature{signatureOf(value)};
    int r = sd_bus_message_append(m, "s", name.c_str());
    if (r >= 0) r = sd_bus_message_open_container(m, 'v', signature.c_str());
    if (r >= 0) r = appendValue(m, value);
    if (r >= 0) r = sd_bus_message_close_container(m);
    return r;
  });
}

void FakeControl::addTransition(const Transition& entry, bool flat) {
  call("AddTransition", [&](sd_bus_message* m) {
    const int r = appendTransition(m, entry, false);
    return r < 0 ? r : sd_bus_message_append(m, "b", flat ? 1 : 0);
  });
}

void FakeControl::invalidate(const std::string& name) {
  call("Invalidate",
       [&](sd_bus_message* m) { return sd_bus_message_append(m, "s", name.c_str()); });
}

void FakeControl::setSwitchover(const std::string& mode, const std::string& message,
                                std::uint64_t epoch, std::uint64_t delayMs) {
  call("SetSwitchover", [&](sd_bus_message* m) {
    return sd_bus_message_append(m, "sstt", mode.c_str(), message.c_str(), epoch, delayMs);
  });
}

void FakeControl::vanish() { call("Vanish", {}); }
void FakeControl::comeBack() { call("Return", {}); }

}  // namespace sipha::siphactl::test
