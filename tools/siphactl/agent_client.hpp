#pragma once
// siphactl's side of org.sipha.Agent1: one connection to the system bus (or the address given),
// blocking calls with timeouts, every failure sorted into what the operator is told.
#include <systemd/sd-bus.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "siphactl/agent_names.hpp"
#include "siphactl/agent_status.hpp"

namespace sipha::siphactl {

enum class ErrorKind {
  BusUnreachable,  // no connection to the bus (socket missing, refused, dropped)
  AgentAbsent,     // org.sipha.Agent1 has no owner
  AccessDenied,    // the bus policy refused the call (Switchover needs root or sipha-admin)
  Timeout,         // no answer in time, or the agent left the bus before answering
  Refused,         // org.sipha.Agent1.SwitchoverRefused
  Abandoned,       // org.sipha.Agent1.SwitchoverAbandoned
  Protocol,        // an answer of the wrong shape, a method or property the agent lacks
  Failed,          // any other error reply
};

struct ClientError {
  ErrorKind kind = ErrorKind::Failed;
  std::string name;     // the D-Bus error name, empty for a local failure
  std::string message;  // the D-Bus error message, or what failed locally
};

template <typename T>
struct Outcome {
  std::optional<T> value;
  ClientError error;  // meaningful when value is empty
  bool ok() const { return value.has_value(); }
};

class AgentClient {
 public:
  AgentClient() = default;
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  // `address` empty: the system bus ($DBUS_SYSTEM_BUS_ADDRESS, else the standard socket).
  std::optional<ClientError> connect(const std::string& address = {});

  // The address connected to (or tried), for messages.
  const std::string& address() const { return address_; }
  sd_bus* bus() const { return bus_; }

  // Every property in one GetAll: a consistent snapshot.
  Outcome<AgentStatus> readStatus();
  // One property by Get (after PropertiesChanged only invalidated it).
  Outcome<PropertyValue> readProperty(std::string_view name);
  Outcome<std::vector<Transition>> readHistory();
  // The epoch the peer took over with.
  Outcome<std::uint64_t> switchover(std::uint64_t timeoutUsec = kSwitchoverTimeoutUsec);

  void setCallTimeout(std::uint64_t usec) { callTimeoutUsec_ = usec; }

 private:
  // A method call on the agent's object with string arguments; sd_bus_call's result.
  int call(const char* interface, const char* member, std::initializer_list<const char*> arguments,
           std::uint64_t timeoutUsec, sd_bus_error* error, sd_bus_message** reply);

  sd_bus* bus_ = nullptr;
  std::string address_;
  std::uint64_t callTimeoutUsec_ = kCallTimeoutUsec;
};

// The system bus address sd-bus uses: $DBUS_SYSTEM_BUS_ADDRESS, else the standard socket.
std::string systemBusAddress();

// Sorts a failed call (negative errno `r`, `error` possibly unset) into a ClientError.
ClientError classifyError(int r, const sd_bus_error* error);

// Reading the interface's values from a message (the reply to Get/GetAll/GetHistory, a signal).
// Each returns a negative errno (sd-bus's) or >= 0.
// A value of `signature` (one of the six of agent_status.hpp) at the current position.
int readValue(sd_bus_message* message, std::string_view signature, PropertyValue& value);
// A history entry, as a struct "(tssstsbs)" or as eight values "tssstsbs" (the Transition
// signal's arguments, whichever way the agent sends them).
int readTransition(sd_bus_message* message, Transition& transition);
// An a{sv} of properties into `status`; a known property of the wrong type is an error named in
// `problem`, an unknown one is skipped. Each stored name is appended to `names` when given.
int readProperties(sd_bus_message* message, AgentStatus& status, std::string& problem,
                   std::vector<std::string>* names = nullptr);

}  // namespace sipha::siphactl
