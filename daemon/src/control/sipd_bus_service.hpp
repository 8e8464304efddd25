#pragma once
// sipd's object on the system bus: org.sipha.Sipd1 at /org/sipha/Sipd1 (README.md).
// The bus is optional equipment: when it cannot be opened, the name is not allowed or taken,
// or the connection drops, the service says so once through `warn` and goes inert; the daemon
// keeps running without D-Bus.
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/ha/role.hpp"
#include "control/sipd_handlers.hpp"

namespace sipha::control {

enum class BusState : std::uint8_t {
  Stopped,      // not started, or stop() called
  Connecting,   // object registered, RequestName sent, no answer yet
  Ready,        // primary owner of org.sipha.Sipd1
  Unavailable,  // no bus, name refused/taken, or disconnected: running without D-Bus
};

std::string_view busStateName(BusState state) noexcept;

class SipdBusService {
 public:
  using WarnFn = std::function<void(std::string_view message)>;

  // `warn` receives at most one message per start(): why the service runs without D-Bus.
  explicit SipdBusService(SipdHandlers handlers, WarnFn warn = {});
  ~SipdBusService();
  SipdBusService(const SipdBusService&) = delete;
  SipdBusService& operator=(const SipdBusService&) = delete;

  // Opens the system bus (sd_bus_open_system: honours DBUS_SYSTEM_BUS_ADDRESS), registers the
  // object, attaches the bus to `event` and asks for the name without blocking. Returns 0 while
  // the name request is in flight (state() Connecting, then Ready or Unavailable from the event
  // loop), or a negative errno when the bus is unusable right away (state() Unavailable).
  // Never throws on bus failures.
  int start(sd_event* event);

  // Releases the name and closes the connection (pending signals are flushed). Idempotent.
  void stop() noexcept;

  BusState state() const noexcept { return state_; }

  // Signal RoleChanged(role, epoch) and PropertiesChanged for Role and Epoch. The latter
  // reads the handlers, so call it after the daemon has switched. -ENOTCONN without a bus.
  int emitRoleChanged(Role role, std::uint64_t epoch) noexcept;
  // PropertiesChanged for ReplicationState and ReadyForSwitchover (docs/replication.md).
  int emitReplicationChanged() noexcept;
  // PropertiesChanged for TakingTransactions (the switchover drain, docs/replication.md).
  int emitTakingTransactionsChanged() noexcept;

 private:
  static int onNameReply(sd_bus_message* reply, void* userdata, sd_bus_error* error) noexcept;
  static int onMessage(sd_bus_message* message, void* userdata, sd_bus_error* error) noexcept;
  static int onDeferredClose(sd_event_source* source, void* userdata) noexcept;
  void becomeUnavailable(std::string_view why, int errnoValue) noexcept;
  void closeBus() noexcept;

  SipdHandlers handlers_;
  WarnFn warn_;
  sd_bus* bus_ = nullptr;
  sd_bus_slot* objectSlot_ = nullptr;
  sd_bus_slot* nameSlot_ = nullptr;
  sd_bus_slot* filterSlot_ = nullptr;
  sd_event* event_ = nullptr;
  sd_event_source* closeSource_ = nullptr;  // closes the bus after a failure in a callback
  BusState state_ = BusState::Stopped;
  bool warned_ = false;
};

}  // namespace sipha::control
