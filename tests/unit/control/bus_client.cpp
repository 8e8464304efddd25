#include "bus_client.hpp"

#include <stdexcept>

#include "control/bus_names.hpp"
#include "event_loop.hpp"

namespace sipha::control::test {
namespace {

int onReply(sd_bus_message* message, void* userdata, sd_bus_error*) {
  auto* reply = static_cast<Reply*>(userdata);
  reply->arrived = true;
  if (const sd_bus_error* error = sd_bus_message_get_error(message)) {
    reply->errorName = error->name != nullptr ? error->name : "";
    reply->errorMessage = error->message != nullptr ? error->message : "";
  } else {
    reply->message.reset(sd_bus_message_ref(message));
  }
  return 0;
}

void check(int r, const char* what) {
  if (r < 0) throw std::runtime_error(std::string{what} + " failed");
}

}  // namespace

BusClient::BusClient(sd_event* event) : event_(event) {
  check(sd_bus_open_system(&bus_), "sd_bus_open_system");
  check(sd_bus_attach_event(bus_, event_, SD_EVENT_PRIORITY_NORMAL), "sd_bus_attach_event");
}

BusClient::~BusClient() { sd_bus_flush_close_unref(bus_); }

Reply BusClient::call(const char* member, const std::function<int(sd_bus_message*)>& append) {
  sd_bus_message* raw = nullptr;
  check(sd_bus_message_new_method_call(bus_, &raw, bus::kServiceName, bus::kObjectPath,
                                       bus::kInterface, member),
        "sd_bus_message_new_method_call");
  MessagePtr call{raw};
  if (append) check(append(call.get()), "append arguments");
  return send(call.get());
}

sd_bus_slot* BusClient::callAsync(const char* member,
                                  const std::function<int(sd_bus_message*)>& append, Reply& reply) {
  sd_bus_message* raw = nullptr;
  check(sd_bus_message_new_method_call(bus_, &raw, bus::kServiceName, bus::kObjectPath,
                                       bus::kInterface, member),
        "sd_bus_message_new_method_call");
  MessagePtr call{raw};
  if (append) check(append(call.get()), "append arguments");
  sd_bus_slot* slot = nullptr;
  check(sd_bus_call_async(bus_, &slot, call.get(), onReply, &reply, 0), "sd_bus_call_async");
  return slot;
}

Reply BusClient::getProperty(const char* name, const char* signature) {
  sd_bus_message* raw = nullptr;
  check(sd_bus_message_new_method_call(bus_, &raw, bus::kServiceName, bus::kObjectPath,
                                       "org.freedesktop.DBus.Properties", "Get"),
        "sd_bus_message_new_method_call");
  MessagePtr call{raw};
  check(sd_bus_message_append(call.get(), "ss", bus::kInterface, name), "append");
  Reply reply = send(call.get());
  if (reply.message) {
    check(sd_bus_message_enter_container(reply.message.get(), 'v', signature), "enter variant");
  }
  return reply;
}

std::string BusClient::getString(const char* name) {
  Reply reply = getProperty(name, "s");
  if (!reply.message) throw std::runtime_error("Get " + std::string{name} + ": " + reply.errorName);
  const char* value = nullptr;
  check(sd_bus_message_read(reply.message.get(), "s", &value), "read s");
  return value;
}

std::uint64_t BusClient::getUint64(const char* name) {
  Reply reply = getProperty(name, "t");
  if (!reply.message) throw std::runtime_error("Get " + std::string{name} + ": " + reply.errorName);
  std::uint64_t value = 0;
  check(sd_bus_message_read(reply.message.get(), "t", &value), "read t");
  return value;
}

double BusClient::getDouble(const char* name) {
  Reply reply = getProperty(name, "d");
  if (!reply.message) throw std::runtime_error("Get " + std::string{name} + ": " + reply.errorName);
  double value = 0;
  check(sd_bus_message_read(reply.message.get(), "d", &value), "read d");
  return value;
}

bool BusClient::getBool(const char* name) {
  Reply reply = getProperty(name, "b");
  if (!reply.message) throw std::runtime_error("Get " + std::string{name} + ": " + reply.errorName);
  int value = 0;
  check(sd_bus_message_read(reply.message.get(), "b", &value), "read b");
  return value != 0;
}

std::map<std::string, std::uint64_t> BusClient::getCounters() {
  Reply reply = getProperty("Counters", "a{st}");
  if (!reply.message) throw std::runtime_error("Get Counters: " + reply.errorName);
  sd_bus_message* m = reply.message.get();
  std::map<std::string, std::uint64_t> counters;
  check(sd_bus_message_enter_container(m, 'a', "{st}"), "enter array");
  const char* name = nullptr;
  std::uint64_t value = 0;
  int r = 0;
  while ((r = sd_bus_message_read(m, "{st}", &name, &value)) > 0) counters[name] = value;
  check(r, "read {st}");
  return counters;
}

Reply BusClient::send(sd_bus_message* call) {
  Reply reply;
  sd_bus_slot* slot = nullptr;
  check(sd_bus_call_async(bus_, &slot, call, onReply, &reply, 0), "sd_bus_call_async");
  runUntil(event_, [&] { return reply.arrived; });
  sd_bus_slot_unref(slot);
  if (!reply.arrived) throw std::runtime_error("no reply within the bounded loop");
  return reply;
}

}  // namespace sipha::control::test
