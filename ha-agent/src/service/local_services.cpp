#include "service/local_services.hpp"

#include <time.h>

#include <cstring>

#include "common/log/log.hpp"
#include "service/clock.hpp"

namespace sipha::agent::service {
namespace {

constexpr const char* kSipdName = "org.sipha.Sipd1";
constexpr const char* kSipdPath = "/org/sipha/Sipd1";
constexpr const char* kNetcfgName = "org.sipha.Netcfg1";
constexpr const char* kNetcfgPath = "/org/sipha/Netcfg1";
constexpr const char* kDbusName = "org.freedesktop.DBus";
constexpr const char* kDbusPath = "/org/freedesktop/DBus";

LocalServices& of(void* self) { return *static_cast<LocalServices*>(self); }

std::string errorText(sd_bus_message* m) {
  const sd_bus_error* error = sd_bus_message_get_error(m);
  if (error == nullptr) return "error";
  return std::string(error->name ? error->name : "") + ": " +
         (error->message ? error->message : "");
}

}  // namespace

LocalServices::LocalServices(sd_bus* bus, sd_event* event, Duration pingInterval,
                             Duration hangTimeout, Callbacks callbacks)
    : bus_(bus),
      event_(event),
      pingInterval_(pingInterval),
      hangTimeout_(hangTimeout),
      callbacks_(std::move(callbacks)) {}

LocalServices::~LocalServices() {
  sd_bus_slot_unref(ownerMatch_);
  sd_bus_slot_unref(propertiesMatch_);
  sd_bus_slot_unref(pingCall_);
  sd_bus_slot_unref(drainCall_);
  sd_event_source_disable_unref(pingTimer_);
  sd_event_source_disable_unref(monitorTimer_);
}

int LocalServices::start() {
  int r = sd_bus_add_match(bus_, &ownerMatch_,
                           "type='signal',sender='org.freedesktop.DBus',"
                           "interface='org.freedesktop.DBus',member='NameOwnerChanged'",
                           onNameOwnerChanged, this);
  if (r < 0) return r;
  r = sd_bus_add_match(bus_, &propertiesMatch_,
                       "type='signal',interface='org.freedesktop.DBus.Properties',"
                       "member='PropertiesChanged',path='/org/sipha/Sipd1'",
                       onPropertiesChanged, this);
  if (r < 0) return r;
  r = sd_bus_call_method_async(bus_, nullptr, kDbusName, kDbusPath, kDbusName, "GetNameOwner",
                               onSipdOwner, this, "s", kSipdName);
  if (r < 0) return r;
  r = sd_bus_call_method_async(bus_, nullptr, kDbusName, kDbusPath, kDbusName, "GetNameOwner",
                               onNetcfgOwner, this, "s", kNetcfgName);
  if (r < 0) return r;
  r = sd_event_add_time_relative(event_, &pingTimer_, CLOCK_MONOTONIC, usec(pingInterval_), 1000,
                                 onPingTimer, this);
  if (r < 0) return r;
  return sd_event_source_set_enabled(pingTimer_, SD_EVENT_ON);
}

int LocalServices::onNameOwnerChanged(sd_bus_message* m, void* self, sd_bus_error*) {
  const char* name = nullptr;
  const char* before = nullptr;
  const char* after = nullptr;
  if (sd_bus_message_read(m, "sss", &name, &before, &after) < 0) return 0;
  auto& s = of(self);
  const bool present = after != nullptr && after[0] != '\0';
  if (std::strcmp(name, kSipdName) == 0) {
    if (!s.sipdOwner_.empty()) s.sipdGone();  // a new owner replaces the old one
    if (present) s.sipdAppeared(after);
  } else if (std::strcmp(name, kNetcfgName) == 0) {
    s.netcfgPresent_ = present;
    if (present) s.netcfgAppeared();
  }
  return 0;
}

int LocalServices::onSipdOwner(sd_bus_message* m, void* self, sd_bus_error*) {
  const char* owner = nullptr;
  // An error: not on the bus yet; NameOwnerChanged says when it arrives (sipd starts Dead).
  if (sd_bus_message_is_method_error(m, nullptr) || sd_bus_message_read(m, "s", &owner) < 0) {
    return 0;
  }
  auto& s = of(self);
  if (s.sipdOwner_.empty()) s.sipdAppeared(owner);
  return 0;
}

int LocalServices::onNetcfgOwner(sd_bus_message* m, void* self, sd_bus_error*) {
  if (sd_bus_message_is_method_error(m, nullptr)) return 0;
  auto& s = of(self);
  if (!s.netcfgPresent_) {
    s.netcfgPresent_ = true;
    s.netcfgAppeared();
  }
  return 0;
}

std::optional<LocalServices::SipdRole> LocalServices::askSipdRole(Duration timeout) {
  std::uint64_t saved = 0;
  sd_bus_get_method_call_timeout(bus_, &saved);
  sd_bus_set_method_call_timeout(bus_, usec(timeout));
  std::optional<SipdRole> out;
  char* role = nullptr;
  SipdRole answer;
  if (sd_bus_get_property_string(bus_, kSipdName, kSipdPath, "org.sipha.Sipd1", "Role", nullptr,
                                 &role) >= 0 &&
      sd_bus_get_property_trivial(bus_, kSipdName, kSipdPath, "org.sipha.Sipd1", "Epoch", nullptr,
                                  't', &answer.epoch) >= 0) {
    if (const auto parsed = common::parseRole(role ? role : "")) {
      answer.role = *parsed;
      out = answer;
    }
  }
  free(role);
  sd_bus_set_method_call_timeout(bus_, saved);
  return out;
}

void LocalServices::sipdAppeared(const std::string& owner) {
  sipdOwner_ = owner;
  common::logInfo("agent: sipd is on the bus (", owner, ")");
  sd_bus_call_method_async(bus_, nullptr, kSipdName, kSipdPath, "org.freedesktop.DBus.Properties",
                           "Get", onReadyReply, this, "ss", "org.sipha.Sipd1",
                           "ReadyForSwitchover");
  update(SipdHealth::Alive, false);
  if (roleKnown_) sendRoleTo(kSipdName, kSipdPath, "org.sipha.Sipd1");
}

void LocalServices::sipdGone() {
  if (sipdOwner_.empty()) return;
  common::logWarning("agent: sipd left the bus (", sipdOwner_, "): dead");
  sipdOwner_.clear();
  pingCall_ = sd_bus_slot_unref(pingCall_);
  drainCall_ = sd_bus_slot_unref(drainCall_);
  update(SipdHealth::Dead, false);
}

void LocalServices::netcfgAppeared() {
  common::logInfo("agent: sipha-netcfg is on the bus");
  if (roleKnown_) sendRoleTo(kNetcfgName, kNetcfgPath, "org.sipha.Netcfg1");
}

int LocalServices::onPropertiesChanged(sd_bus_message* m, void* self, sd_bus_error*) {
  auto& s = of(self);
  const char* sender = sd_bus_message_get_sender(m);
  if (sender == nullptr || s.sipdOwner_ != sender) return 0;
  const char* interface = nullptr;
  if (sd_bus_message_read(m, "s", &interface) < 0) return 0;
  if (sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}") < 0) return 0;
  while (sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv") > 0) {
    const char* name = nullptr;
    if (sd_bus_message_read(m, "s", &name) < 0) return 0;
    if (std::strcmp(name, "ReadyForSwitchover") == 0) {
      int ready = 0;
      if (sd_bus_message_read(m, "v", "b", &ready) < 0) return 0;
      s.update(s.health_, ready != 0);
    } else if (sd_bus_message_skip(m, "v") < 0) {
      return 0;
    }
    if (sd_bus_message_exit_container(m) < 0) return 0;
  }
  return 0;
}

int LocalServices::onReadyReply(sd_bus_message* m, void* self, sd_bus_error*) {
  int ready = 0;
  if (sd_bus_message_is_method_error(m, nullptr) || sd_bus_message_read(m, "v", "b", &ready) < 0) {
    return 0;
  }
  auto& s = of(self);
  if (!s.sipdOwner_.empty()) s.update(s.health_, ready != 0);
  return 0;
}

int LocalServices::onPingTimer(sd_event_source* source, std::uint64_t, void* self) {
  auto& s = of(self);
  if (!s.sipdOwner_.empty() && s.pingCall_ == nullptr) {
    sd_bus_message* call = nullptr;
    if (sd_bus_message_new_method_call(s.bus_, &call, s.sipdOwner_.c_str(), kSipdPath,
                                       "org.freedesktop.DBus.Peer", "Ping") >= 0) {
      s.pingSentUsec_ = monotonicUsec();
      sd_bus_call_async(s.bus_, &s.pingCall_, call, onPingReply, self, usec(s.hangTimeout_));
      sd_bus_message_unref(call);
    }
  }
  sd_event_source_set_time_relative(source, usec(s.pingInterval_));
  sd_event_source_set_enabled(source, SD_EVENT_ON);
  return 0;
}

int LocalServices::onPingReply(sd_bus_message* m, void* self, sd_bus_error*) {
  auto& s = of(self);
  s.pingCall_ = sd_bus_slot_unref(s.pingCall_);
  if (s.sipdOwner_.empty()) return 0;
  if (!sd_bus_message_is_method_error(m, nullptr)) {
    if (s.health_ == SipdHealth::Hung) common::logNotice("agent: sipd answers again");
    s.update(SipdHealth::Alive, s.ready_);
    return 0;
  }
  // An error before the hang timeout is the bus saying sipd disconnected: NameOwnerChanged
  // follows and says Dead. Only a ping unanswered for the whole timeout means hung.
  if (monotonicUsec() - s.pingSentUsec_ + 1000 < usec(s.hangTimeout_)) return 0;
  if (s.health_ != SipdHealth::Hung) {
    common::logWarning("agent: sipd did not answer a ping in ", s.hangTimeout_.count(),
                       " ms: hung (", errorText(m), ")");
  }
  s.update(SipdHealth::Hung, false);
  return 0;
}

void LocalServices::update(SipdHealth health, bool ready) {
  if (health == health_ && ready == ready_) return;
  health_ = health;
  ready_ = ready;
  if (callbacks_.sipdState) callbacks_.sipdState(health_, ready_);
}

void LocalServices::setRole(common::Role role, std::uint64_t epoch) {
  roleKnown_ = true;
  role_ = role;
  epoch_ = epoch;
  if (!sipdOwner_.empty()) sendRoleTo(kSipdName, kSipdPath, "org.sipha.Sipd1");
  if (netcfgPresent_) sendRoleTo(kNetcfgName, kNetcfgPath, "org.sipha.Netcfg1");
}

void LocalServices::reannounce() {
  if (roleKnown_ && role_ == common::Role::Primary && netcfgPresent_) {
    sendRoleTo(kNetcfgName, kNetcfgPath, "org.sipha.Netcfg1");
  }
}

void LocalServices::sendRoleTo(const char* service, const char* path, const char* interface) {
  const int r =
      sd_bus_call_method_async(bus_, nullptr, service, path, interface, "SetRole", onRoleReply,
                               this, "st", common::roleName(role_).data(), epoch_);
  if (r < 0) common::logError("agent: cannot call SetRole on ", service, ": ", strerror(-r));
}

int LocalServices::onRoleReply(sd_bus_message* m, void*, sd_bus_error*) {
  if (sd_bus_message_is_method_error(m, nullptr)) {
    common::logError("agent: SetRole refused by ", sd_bus_message_get_sender(m) ?: "?", ": ",
                     errorText(m));
  }
  return 0;
}

void LocalServices::stopTakingTransactions(Duration timeout) {
  if (sipdOwner_.empty()) return;  // the decision's drain timeout abandons the switchover
  drainCall_ = sd_bus_slot_unref(drainCall_);
  sd_bus_message* call = nullptr;
  if (sd_bus_message_new_method_call(bus_, &call, kSipdName, kSipdPath, "org.sipha.Sipd1",
                                     "StopTakingTransactions") < 0) {
    return;
  }
  sd_bus_message_append(call, "u", static_cast<std::uint32_t>(timeout.count()));
  sd_bus_call_async(bus_, &drainCall_, call, onDrainReply, this, usec(timeout) + 1000000);
  sd_bus_message_unref(call);
}

int LocalServices::onDrainReply(sd_bus_message* m, void* self, sd_bus_error*) {
  auto& s = of(self);
  s.drainCall_ = sd_bus_slot_unref(s.drainCall_);
  if (sd_bus_message_is_method_error(m, nullptr)) {
    // The decision's drain timeout ends the switchover (SwitchoverAbandoned).
    common::logWarning("agent: sipd did not drain: ", errorText(m));
    return 0;
  }
  if (s.callbacks_.handoverComplete) s.callbacks_.handoverComplete();
  return 0;
}

void LocalServices::resumeTakingTransactions() {
  drainCall_ = sd_bus_slot_unref(drainCall_);
  if (sipdOwner_.empty()) return;
  sd_bus_call_method_async(bus_, nullptr, kSipdName, kSipdPath, "org.sipha.Sipd1",
                           "ResumeTakingTransactions", onRoleReply, this, "");
}

void LocalServices::watchMonitor(std::vector<std::string> sources, Duration interval) {
  monitorSources_ = std::move(sources);
  monitorInterval_ = interval;
  sd_event_add_time_relative(event_, &monitorTimer_, CLOCK_MONOTONIC, usec(interval), 10000,
                             onMonitorTimer, this);
  sd_event_source_set_enabled(monitorTimer_, SD_EVENT_ON);
}

int LocalServices::onMonitorTimer(sd_event_source* source, std::uint64_t, void* self) {
  auto& s = of(self);
  // A round still waiting for a reply (sipd hung) is dropped: its replies are ignored.
  if (!s.sipdOwner_.empty()) {
    s.monitorPending_ = 0;
    s.monitorReplies_ = 2;
    for (const char* method : {"GetOptionsSources", "GetDroppedSources"}) {
      sd_bus_call_method_async(s.bus_, nullptr, kSipdName, kSipdPath, "org.sipha.Sipd1", method,
                               onSourcesReply, self, "");
    }
  }
  sd_event_source_set_time_relative(source, usec(s.monitorInterval_));
  sd_event_source_set_enabled(source, SD_EVENT_ON);
  return 0;
}

int LocalServices::onSourcesReply(sd_bus_message* m, void* self, sd_bus_error*) {
  auto& s = of(self);
  if (s.monitorReplies_ <= 0) return 0;
  --s.monitorReplies_;
  const char* signature = sd_bus_message_get_signature(m, 1);
  const bool withTime = signature != nullptr && std::strcmp(signature, "a(stt)") == 0;
  if (!sd_bus_message_is_method_error(m, nullptr) &&
      sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, withTime ? "(stt)" : "(st)") > 0) {
    const char* source = nullptr;
    std::uint64_t count = 0;
    std::uint64_t last = 0;
    while ((withTime ? sd_bus_message_read(m, "(stt)", &source, &count, &last)
                     : sd_bus_message_read(m, "(st)", &source, &count)) > 0) {
      for (const auto& wanted : s.monitorSources_) {
        if (wanted == source) s.monitorPending_ += count;
      }
    }
  }
  if (s.monitorReplies_ > 0) return 0;
  // Both tables read: the sum moved (a restarted sipd starts from zero: any change counts).
  if (s.monitorPending_ != s.monitorSeen_ && s.monitorPending_ > 0) {
    s.monitorSeen_ = s.monitorPending_;
    if (s.callbacks_.monitorProbed) s.callbacks_.monitorProbed();
  }
  s.monitorSeen_ = s.monitorPending_;
  return 0;
}

}  // namespace sipha::agent::service
