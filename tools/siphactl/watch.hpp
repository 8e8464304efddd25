#pragma once
// `siphactl watch`: follows org.sipha.Agent1's Transition and PropertiesChanged signals and the
// agent's comings and goings on the bus, one timestamped line per change.
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "siphactl/agent_client.hpp"
#include "siphactl/agent_status.hpp"

namespace sipha::siphactl {

// Wall clock, microseconds since the epoch.
std::uint64_t wallClockUsec();

class Watcher {
 public:
  using Clock = std::uint64_t (*)();

  // `client` must be connected and outlive the watcher; lines go to `out`, flushed each.
  Watcher(AgentClient& client, std::ostream& out, Clock clock = wallClockUsec);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Subscribes first, then reads the status (nothing falls between), prints where things stand
  // and attaches the bus to `event`. A lost bus connection exits `event` with code 2.
  std::optional<ClientError> start(sd_event* event);

  // What the watcher believes the agent shows now.
  const AgentStatus& known() const { return known_; }

 private:
  static int onTransition(sd_bus_message* message, void* userdata, sd_bus_error* error) noexcept;
  static int onPropertiesChanged(sd_bus_message* message, void* userdata,
                                 sd_bus_error* error) noexcept;
  static int onOwnerChanged(sd_bus_message* message, void* userdata, sd_bus_error* error) noexcept;
  static int onDisconnected(sd_bus_message* message, void* userdata, sd_bus_error* error) noexcept;

  void line(std::uint64_t timeUs, const std::string& text);
  void applyChanged(sd_bus_message* message);
  void agentReturned();

  AgentClient& client_;
  std::ostream& out_;
  Clock clock_;
  sd_event* event_ = nullptr;
  AgentStatus known_;
  std::vector<sd_bus_slot*> slots_;
};

}  // namespace sipha::siphactl
