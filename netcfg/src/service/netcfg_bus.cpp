#include "service/netcfg_bus.hpp"

#include <cstring>
#include <exception>
#include <memory>

#include "common/dbus/bus_error.hpp"
#include "service/netcfg_bus_names.hpp"

namespace sipha::netcfg::service {
namespace {

struct MessageUnref {
  void operator()(sd_bus_message* m) const noexcept { sd_bus_message_unref(m); }
};
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

NetcfgBus& busOf(void* userdata) noexcept { return *static_cast<NetcfgBus*>(userdata); }

// Nothing may unwind through libsystemd's C frames: exceptions become Failed replies.
template <typename Body>
int guarded(sd_bus_error* error, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "netcfg failed: %s", e.what());
  } catch (...) {
    return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "netcfg failed");
  }
}

int replyStrings(sd_bus_message* call, const std::vector<std::string>& items) {
  sd_bus_message* raw = nullptr;
  int r = sd_bus_message_new_method_return(call, &raw);
  if (r < 0) return r;
  MessagePtr reply{raw};
  r = sd_bus_message_open_container(reply.get(), SD_BUS_TYPE_ARRAY, "s");
  for (std::size_t i = 0; r >= 0 && i < items.size(); ++i) {
    r = sd_bus_message_append_basic(reply.get(), SD_BUS_TYPE_STRING, items[i].c_str());
  }
  if (r >= 0) r = sd_bus_message_close_container(reply.get());
  if (r < 0) return r;
  return sd_bus_send(nullptr, reply.get(), nullptr);
}

int onApply(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  return guarded(error, [&] {
    ApplyOutcome outcome;
    const common::CallResult result = busOf(userdata).service().apply(outcome);
    if (!result.ok()) return common::setCallError(error, result);
    return replyStrings(call, outcome.changes);
  });
}

int onStatus(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  return guarded(error, [&] {
    const std::string json = busOf(userdata).service().statusJson();
    return sd_bus_reply_method_return(call, "s", json.c_str());
  });
}

int onSetRole(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  const char* roleText = nullptr;
  std::uint64_t epoch = 0;
  int r = sd_bus_message_read(call, "st", &roleText, &epoch);
  if (r < 0) return r;
  const auto role = common::parseRole(roleText);
  if (!role) {
    return sd_bus_error_setf(error, common::dbus::kErrorInvalidArgument,
                             "role must be 'primary' or 'backup', not '%s'", roleText);
  }
  return guarded(error, [&] {
    NetcfgBus& bus = busOf(userdata);
    const common::Role before = bus.service().role();
    const std::uint64_t epochBefore = bus.service().epoch();
    ApplyOutcome outcome;
    const common::CallResult result = bus.service().setRole(*role, epoch, outcome);
    if (bus.service().role() != before || bus.service().epoch() != epochBefore) {
      bus.emitRoleChanged();
    }
    if (!result.ok()) return common::setCallError(error, result);
    return sd_bus_reply_method_return(call, nullptr);
  });
}

int getRole(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
            sd_bus_error*) noexcept {
  return sd_bus_message_append(reply, "s",
                               common::roleName(busOf(userdata).service().role()).data());
}

int getEpoch(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
             sd_bus_error*) noexcept {
  return sd_bus_message_append(reply, "t", busOf(userdata).service().epoch());
}

int getHoldsVip(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                void* userdata, sd_bus_error*) noexcept {
  const int holds = busOf(userdata).service().holdsVip() ? 1 : 0;
  return sd_bus_message_append(reply, "b", holds);
}

const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_ARGS("Apply", SD_BUS_NO_ARGS, SD_BUS_RESULT("as", changes), onApply,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Status", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json), onStatus,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SetRole", SD_BUS_ARGS("s", role, "t", epoch), SD_BUS_NO_RESULT,
                            onSetRole, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_PROPERTY("Role", "s", getRole, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Epoch", "t", getEpoch, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("HoldsVip", "b", getHoldsVip, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_SIGNAL_WITH_ARGS("RoleChanged", SD_BUS_ARGS("s", role, "t", epoch), 0),
    SD_BUS_VTABLE_END,
};

}  // namespace

NetcfgBus::~NetcfgBus() { stop(); }

std::string NetcfgBus::start(sd_event* event) {
  stop();
  int r = sd_bus_open_system_with_description(&bus_, "sipha-netcfg");
  const char* step = "cannot connect to the system bus";
  if (r >= 0) {
    step = "cannot register /org/sipha/Netcfg1";
    r = sd_bus_add_object_vtable(bus_, &objectSlot_, kObjectPath, kInterface, kVtable, this);
  }
  if (r >= 0) {
    step = "cannot attach the bus to the event loop";
    r = sd_bus_attach_event(bus_, event, SD_EVENT_PRIORITY_NORMAL);
  }
  if (r >= 0) {
    step = "cannot own the name org.sipha.Netcfg1";
    r = sd_bus_request_name(bus_, kServiceName, 0);
  }
  if (r < 0) {
    stop();
    return std::string{step} + ": " + std::strerror(-r);
  }
  return {};
}

void NetcfgBus::stop() noexcept {
  objectSlot_ = sd_bus_slot_unref(objectSlot_);
  if (bus_ == nullptr) return;
  sd_bus_detach_event(bus_);
  bus_ = sd_bus_flush_close_unref(bus_);
}

void NetcfgBus::emitRoleChanged() noexcept {
  if (bus_ == nullptr) return;
  sd_bus_emit_signal(bus_, kObjectPath, kInterface, "RoleChanged", "st",
                     common::roleName(service_.role()).data(), service_.epoch());
  sd_bus_emit_properties_changed(bus_, kObjectPath, kInterface, "Role", "Epoch", "HoldsVip",
                                 static_cast<const char*>(nullptr));
}

}  // namespace sipha::netcfg::service
