#pragma once
// A test's D-Bus client on the private system bus, sharing the service's sd-event loop: calls
// are asynchronous and the loop runs (bounded) until the reply arrives.
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace sipha::control::test {

struct MessageUnref {
  void operator()(sd_bus_message* m) const noexcept { sd_bus_message_unref(m); }
};
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

struct Reply {
  bool arrived = false;
  MessagePtr message;     // the method return, when not an error
  std::string errorName;  // empty on success
  std::string errorMessage;
};

class BusClient {
 public:
  // Opens DBUS_SYSTEM_BUS_ADDRESS and attaches to `event`; throws std::runtime_error on failure.
  explicit BusClient(sd_event* event);
  ~BusClient();
  BusClient(const BusClient&) = delete;
  BusClient& operator=(const BusClient&) = delete;

  sd_bus* bus() const { return bus_; }

  // Calls org.sipha.Sipd1.<member> on the service; `append` adds the arguments.
  Reply call(const char* member, const std::function<int(sd_bus_message*)>& append = {});
  // The same call without waiting: `reply` is filled when the answer arrives (the loop runs it).
  // The caller unrefs the returned slot (after the reply arrived, or to give up on it).
  sd_bus_slot* callAsync(const char* member, const std::function<int(sd_bus_message*)>& append,
                         Reply& reply);
  // org.freedesktop.DBus.Properties.Get of an org.sipha.Sipd1 property; the reply is positioned
  // inside the variant.
  Reply getProperty(const char* name, const char* signature);

  std::string getString(const char* name);
  std::uint64_t getUint64(const char* name);
  double getDouble(const char* name);
  bool getBool(const char* name);
  std::map<std::string, std::uint64_t> getCounters();

 private:
  Reply send(sd_bus_message* call);

  sd_event* event_;
  sd_bus* bus_ = nullptr;
};

}  // namespace sipha::control::test
