#pragma once
// A stand-in for sipha-agent, for siphactl's own tests only: it exports org.sipha.Agent1 exactly
// as the brief of the real agent names it (properties, GetHistory, Switchover, Transition) from a
// plain AgentStatus, and a control interface, org.sipha.test.FakeAgent1 on the same object, to
// change it from a test (C++ or busctl):
//   Set(s name, v value)         sets a property and emits PropertiesChanged (not Counters)
//   AddTransition((tssstsbs) entry, b flat)
//                                appends to the history, sets LastTransition, emits Transition
//                                (flat: eight arguments, else one struct) and PropertiesChanged
//   Invalidate(s name)           PropertiesChanged with the name invalidated, no value
//   SetSwitchover(s mode, s message, t epoch, t delayMs)
//                                what Switchover() answers: "ok" (epoch, after delayMs),
//                                "refused" / "abandoned" (the error, message), "silent" (never)
//   Vanish() / Return()          releases / requests org.sipha.Agent1 again
// Its encoding is written out here with sd-bus format strings, apart from siphactl's decoder.
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "siphactl/agent_status.hpp"

namespace sipha::siphactl::test {

inline constexpr const char* kFakeControlInterface = "org.sipha.test.FakeAgent1";

// A healthy primary "sipha-a" with a ready backup "sipha-b", epoch 7, both paths alive, the
// witness 192.0.2.1 reachable from both, one transition.
AgentStatus healthyPrimary();

class FakeAgent {
 public:
  FakeAgent(sd_event* event, AgentStatus status, std::vector<Transition> history);
  ~FakeAgent();
  FakeAgent(const FakeAgent&) = delete;
  FakeAgent& operator=(const FakeAgent&) = delete;

  // Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS), exports the object, owns the name.
  // Negative errno on failure.
  int start();

  struct SwitchoverAnswer {
    std::string mode = "ok";
    std::string message;
    std::uint64_t epoch = 8;
    std::uint64_t delayMs = 0;
  };

 private:
  static int getProperty(sd_bus* bus, const char* path, const char* interface, const char* property,
                         sd_bus_message* reply, void* userdata, sd_bus_error* error) noexcept;
  static int onGetHistory(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept;
  static int onSwitchover(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept;
  static int onSet(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept;
  static int onAddTransition(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept;
  static int onInvalidate(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept;
  static int onSetSwitchover(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept;
  static int onVanish(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept;
  static int onReturn(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept;
  static int onDelayedReply(sd_event_source* source, std::uint64_t usec, void* userdata) noexcept;

  sd_event* event_;
  sd_bus* bus_ = nullptr;
  std::vector<sd_bus_slot*> slots_;
  AgentStatus status_;
  std::vector<Transition> history_;
  SwitchoverAnswer switchover_;
  std::vector<sd_bus_message*> unanswered_;  // "silent" and delayed Switchover calls
};

// A FakeAgent on its own thread with its own event loop, until destruction.
class FakeAgentThread {
 public:
  explicit FakeAgentThread(AgentStatus status = healthyPrimary(),
                           std::vector<Transition> history = {});
  ~FakeAgentThread();
  FakeAgentThread(const FakeAgentThread&) = delete;
  FakeAgentThread& operator=(const FakeAgentThread&) = delete;

  // The start() result (negative errno on failure), known once the constructor returns.
  int startResult() const { return startResult_; }

 private:
  std::thread thread_;
  int stopFd_ = -1;
  int startResult_ = 0;
};

// The test's side of org.sipha.test.FakeAgent1: blocking calls on a connection of its own.
class FakeControl {
 public:
  FakeControl();  // $DBUS_SYSTEM_BUS_ADDRESS; throws std::runtime_error
  ~FakeControl();
  FakeControl(const FakeControl&) = delete;
  FakeControl& operator=(const FakeControl&) = delete;

  void set(const std::string& name, const PropertyValue& value);
  void addTransition(const Transition& entry, bool flat = true);
  void invalidate(const std::string& name);
  void setSwitchover(const std::string& mode, const std::string& message = {},
                     std::uint64_t epoch = 8, std::uint64_t delayMs = 0);
  void vanish();
  void comeBack();

 private:
  void call(const char* member, const std::function<int(sd_bus_message*)>& append);

  sd_bus* bus_ = nullptr;
  std::string agentConnection_;  // the fake's unique name
};

}  // namespace sipha::siphactl::test
