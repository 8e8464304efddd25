#include "control/sipd_bus_service.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "control/bus_names.hpp"
#include "control/sipd_bus_vtable.hpp"

namespace sipha::control {
namespace {

// org.freedesktop.DBus.RequestName replies (D-Bus spec, "Message Bus Messages").
constexpr std::uint32_t kPrimaryOwner = 1;
constexpr std::uint32_t kAlreadyOwner = 4;

}  // namespace

std::string_view busStateName(BusState state) noexcept {
  switch (state) {
    case BusState::Stopped:
      return "stopped";
    case BusState::Connecting:
      return "connecting";
    case BusState::Ready:
      return "ready";
    case BusState::Unavailable:
      return "unavailable";
  }
  return "unknown";
}

SipdBusService::SipdBusService(SipdHandlers handlers, WarnFn warn)
    : handlers_(std::move(handlers)), warn_(std::move(warn)) {}

SipdBusService::~SipdBusService() { stop(); }

int SipdBusService::start(sd_event* event) {
  stop();
  warned_ = false;
  if (event == nullptr) {
    becomeUnavailable("no event loop given", EINVAL);
    return -EINVAL;
  }
  event_ = sd_event_ref(event);
  int r = sd_bus_open_system_with_description(&bus_, "sipd-control");
  if (r < 0) {
    becomeUnavailable("cannot connect to the system bus", -r);
    closeBus();
    return r;
  }
  const char* step = "cannot register /org/sipha/Sipd1";
  r = sd_bus_add_object_vtable(bus_, &objectSlot_, bus::kObjectPath, bus::kInterface,
                               detail::sipdVtable(), &handlers_);
  if (r >= 0) {
    step = "cannot watch the bus connection";
    r = sd_bus_add_filter(bus_, &filterSlot_, &SipdBusService::onMessage, this);
  }
  if (r >= 0) {
    step = "cannot attach the bus to the event loop";
    // Before the SIP sockets: a sipd thawed after a stall (SIGSTOP, a stuck disk) applies the
    // SetRole(backup) the agent queued meanwhile before it serves the requests queued in its
    // sockets as a primary it no longer is (the fault matrix's SIGSTOP case lost registrations
    // acknowledged that way).
    r = sd_bus_attach_event(bus_, event, SD_EVENT_PRIORITY_IMPORTANT);
  }
  if (r >= 0) {
    step = "cannot request the name org.sipha.Sipd1";
    r = sd_bus_request_name_async(bus_, &nameSlot_, bus::kServiceName, 0,
                                  &SipdBusService::onNameReply, this);
  }
  if (r < 0) {
    becomeUnavailable(step, -r);
    closeBus();
    return r;
  }
  state_ = BusState::Connecting;
  return 0;
}

void SipdBusService::stop() noexcept {
  closeBus();
  closeSource_ = sd_event_source_disable_unref(closeSource_);
  event_ = sd_event_unref(event_);
  state_ = BusState::Stopped;
}

int SipdBusService::emitRoleChanged(Role role, std::uint64_t epoch) noexcept {
  if (bus_ == nullptr || state_ == BusState::Unavailable) return -ENOTCONN;
  int r = sd_bus_emit_signal(bus_, bus::kObjectPath, bus::kInterface, "RoleChanged", "st",
                             roleName(role).data(), epoch);
  if (r < 0) return r;
  return sd_bus_emit_properties_changed(bus_, bus::kObjectPath, bus::kInterface, "Role", "Epoch",
                                        static_cast<const char*>(nullptr));
}

int SipdBusService::emitReplicationChanged() noexcept {
  if (bus_ == nullptr || state_ == BusState::Unavailable) return -ENOTCONN;
  return sd_bus_emit_properties_changed(bus_, bus::kObjectPath, bus::kInterface, "ReplicationState",
                                        "ReadyForSwitchover", static_cast<const char*>(nullptr));
}

int SipdBusService::emitTakingTransactionsChanged() noexcept {
  if (bus_ == nullptr || state_ == BusState::Unavailable) return -ENOTCONN;
  return sd_bus_emit_properties_changed(bus_, bus::kObjectPath, bus::kInterface,
                                        "TakingTransactions", static_cast<const char*>(nullptr));
}

int SipdBusService::onNameReply(sd_bus_message* reply, void* userdata, sd_bus_error*) noexcept {
  auto* self = static_cast<SipdBusService*>(userdata);
  self->nameSlot_ = sd_bus_slot_unref(self->nameSlot_);
  if (sd_bus_message_is_method_error(reply, nullptr)) {
    const sd_bus_error* error = sd_bus_message_get_error(reply);
    std::string why = "cannot own org.sipha.Sipd1: ";
    why += error->name != nullptr ? error->name : "unknown error";
    if (error->message != nullptr) {
      why += ": ";
      why += error->message;
    }
    self->becomeUnavailable(why, 0);
    return 0;
  }
  std::uint32_t answer = 0;
  int r = sd_bus_message_read(reply, "u", &answer);
  if (r < 0) {
    self->becomeUnavailable("cannot read the RequestName reply", -r);
  } else if (answer == kPrimaryOwner || answer == kAlreadyOwner) {
    self->state_ = BusState::Ready;
  } else {
    self->becomeUnavailable("org.sipha.Sipd1 is owned by another process", 0);
  }
  return 0;
}

int SipdBusService::onMessage(sd_bus_message* message, void* userdata, sd_bus_error*) noexcept {
  // sd-bus synthesizes this signal when the connection ends (sd_bus_process, "Local").
  if (sd_bus_message_is_signal(message, "org.freedesktop.DBus.Local", "Disconnected") > 0) {
    static_cast<SipdBusService*>(userdata)->becomeUnavailable("lost the system bus connection", 0);
  }
  return 0;  // let sd-bus dispatch the message as usual
}

int SipdBusService::onDeferredClose(sd_event_source*, void* userdata) noexcept {
  static_cast<SipdBusService*>(userdata)->closeBus();
  return 0;
}

void SipdBusService::becomeUnavailable(std::string_view why, int errnoValue) noexcept {
  state_ = BusState::Unavailable;
  if (bus_ != nullptr && event_ != nullptr && closeSource_ == nullptr) {
    // Called from inside sd_bus_process: the connection is closed after it returns.
    if (sd_event_add_defer(event_, &closeSource_, &SipdBusService::onDeferredClose, this) < 0) {
      closeSource_ = nullptr;
    }
  }
  if (warned_ || !warn_) return;
  warned_ = true;
  try {
    std::string message{why};
    if (errnoValue != 0) {
      message += ": ";
      message += std::strerror(errnoValue);
    }
    message += "; running without D-Bus";
    warn_(message);
  } catch (...) {
    // Logging must not take the daemon down; the state is still Unavailable.
  }
}

void SipdBusService::closeBus() noexcept {
  nameSlot_ = sd_bus_slot_unref(nameSlot_);
  filterSlot_ = sd_bus_slot_unref(filterSlot_);
  objectSlot_ = sd_bus_slot_unref(objectSlot_);
  if (bus_ == nullptr) return;
  sd_bus_detach_event(bus_);
  // Flush only a running connection: flushing one still authenticating could block.
  if (state_ == BusState::Ready) {
    bus_ = sd_bus_flush_close_unref(bus_);
  } else {
    bus_ = sd_bus_close_unref(bus_);
  }
}

}  // namespace sipha::control
