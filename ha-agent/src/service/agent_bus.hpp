#pragma once
// sipha-agent's object on the system bus: org.sipha.Agent1 at /org/sipha/Agent1
// (docs/ha-agent.md, "org.sipha.Agent1"). Properties from AgentStatus, PropertiesChanged for
// every field that changed, the Transition signal per history entry, GetHistory(), and
// Switchover(), whose reply waits until the peer took over or the switchover failed.
#include <systemd/sd-bus.h>

#include <cstdint>
#include <string>
#include <vector>

#include "service/agent_status.hpp"

namespace sipha::agent::service {

inline constexpr const char* kAgentBusName = "org.sipha.Agent1";
inline constexpr const char* kAgentObjectPath = "/org/sipha/Agent1";
inline constexpr const char* kAgentInterface = "org.sipha.Agent1";
inline constexpr const char* kErrorSwitchoverRefused = "org.sipha.Agent1.SwitchoverRefused";
inline constexpr const char* kErrorSwitchoverAbandoned = "org.sipha.Agent1.SwitchoverAbandoned";

// What the bus object asks of the driver.
class AgentBusHandler {
 public:
  virtual ~AgentBusHandler() = default;
  virtual const AgentStatus& status() = 0;  // refreshed (path ages) on each call
  virtual const std::vector<TransitionRecord>& history() const = 0;
  virtual Counters counters() const = 0;
  // The operator's Switchover(); the driver answers later through AgentBus::finishSwitchover.
  virtual void switchoverRequested() = 0;
};

class AgentBus {
 public:
  AgentBus(sd_bus* bus, AgentBusHandler& handler);
  AgentBus(const AgentBus&) = delete;
  AgentBus& operator=(const AgentBus&) = delete;
  ~AgentBus();

  // Exports the object and requests the name. Negative errno on failure.
  int start();

  // PropertiesChanged for each field of `after` that differs from `before`.
  void publish(const AgentStatus& before, const AgentStatus& after);
  void emitTransition(const TransitionRecord& record);

  bool switchoverPending() const noexcept { return !pendingSwitchovers_.empty(); }
  // Answers every pending Switchover(): success with the epoch the peer took over with, or the
  // error name and message.
  void finishSwitchover(std::uint64_t epoch);
  void failSwitchover(const char* errorName, const std::string& message);

  AgentBusHandler& handler() noexcept { return handler_; }
  void addPending(sd_bus_message* call) { pendingSwitchovers_.push_back(sd_bus_message_ref(call)); }

 private:
  sd_bus* bus_;
  AgentBusHandler& handler_;
  sd_bus_slot* vtable_ = nullptr;
  std::vector<sd_bus_message*> pendingSwitchovers_;
};

// The signature of a TransitionRecord on the bus.
inline constexpr const char* kTransitionSignature = "(tssstsbs)";

}  // namespace sipha::agent::service
