#include "control/sipd_bus_vtable.hpp"

#include <cerrno>
#include <cstdint>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "common/dbus/bus_error.hpp"
#include "control/bus_names.hpp"
#include "control/sipd_handlers.hpp"

namespace sipha::control::detail {
namespace {

struct MessageUnref {
  void operator()(sd_bus_message* m) const noexcept { sd_bus_message_unref(m); }
};
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

const SipdHandlers& handlersOf(void* userdata) noexcept {
  return *static_cast<const SipdHandlers*>(userdata);
}

// Runs `body` (which returns an sd-bus result code), mapping any exception from the daemon's
// handlers to a Failed error: unwinding through libsystemd's C frames is not allowed.
template <typename Body>
int guarded(sd_bus_error* error, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "handler failed: %s", e.what());
  } catch (...) {
    return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "handler failed");
  }
}

int notSupported(sd_bus_error* error, const char* member) noexcept {
  return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED, "%s is not available", member);
}

int replyResult(sd_bus_message* call, sd_bus_error* error, const CallResult& result) {
  if (!result.ok()) return common::setCallError(error, result);
  return sd_bus_reply_method_return(call, nullptr);
}

int onSetRole(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  const char* roleText = nullptr;
  std::uint64_t epoch = 0;
  int r = sd_bus_message_read(call, "st", &roleText, &epoch);
  if (r < 0) return r;
  const auto role = parseRole(roleText);
  if (!role) {
    return sd_bus_error_setf(error, bus::kErrorInvalidArgument,
                             "role must be 'primary' or 'backup', not '%s'", roleText);
  }
  const auto& handlers = handlersOf(userdata);
  if (!handlers.setRole) return notSupported(error, "SetRole");
  return guarded(error, [&] { return replyResult(call, error, handlers.setRole(*role, epoch)); });
}

// A method call answered later: holds a reference to the call until the one reply is sent.
class PendingCall {
 public:
  explicit PendingCall(sd_bus_message* call) noexcept : call_(sd_bus_message_ref(call)) {}

  void answer(const CallResult& result) noexcept {
    if (!call_) return;  // answered already
    const MessagePtr call = std::move(call_);
    // A bus closed meanwhile makes the send fail (-ENOTCONN): nobody is left to answer.
    if (result.ok()) {
      sd_bus_reply_method_return(call.get(), nullptr);
      return;
    }
    sd_bus_error error = SD_BUS_ERROR_NULL;
    common::setCallError(&error, result);
    sd_bus_reply_method_error(call.get(), &error);
    sd_bus_error_free(&error);
  }

 private:
  MessagePtr call_;
};

int onStopTakingTransactions(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  std::uint32_t timeoutMs = 0;
  int r = sd_bus_message_read(call, "u", &timeoutMs);
  if (r < 0) return r;
  const auto& handlers = handlersOf(userdata);
  if (!handlers.stopTakingTransactions) return notSupported(error, "StopTakingTransactions");
  return guarded(error, [&] {
    auto pending = std::make_shared<PendingCall>(call);
    // No reply here: the handler answers through `pending`, now or later.
    handlers.stopTakingTransactions(
        timeoutMs, [pending](const CallResult& result) { pending->answer(result); });
    return 1;
  });
}

int onResumeTakingTransactions(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  if (!handlers.resumeTakingTransactions) return notSupported(error, "ResumeTakingTransactions");
  return guarded(error,
                 [&] { return replyResult(call, error, handlers.resumeTakingTransactions()); });
}

int onReload(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  if (!handlers.reload) return notSupported(error, "Reload");
  return guarded(error, [&] { return replyResult(call, error, handlers.reload()); });
}

// Builds and sends a method return holding one array; `appendItems` appends its elements.
template <typename AppendItems>
int replyArray(sd_bus_message* call, const char* contents, AppendItems&& appendItems) {
  sd_bus_message* raw = nullptr;
  int r = sd_bus_message_new_method_return(call, &raw);
  if (r < 0) return r;
  MessagePtr reply{raw};
  r = sd_bus_message_open_container(reply.get(), SD_BUS_TYPE_ARRAY, contents);
  if (r < 0) return r;
  r = appendItems(reply.get());
  if (r < 0) return r;
  r = sd_bus_message_close_container(reply.get());
  if (r < 0) return r;
  return sd_bus_send(nullptr, reply.get(), nullptr);
}

int onGetOptionsSources(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const auto sources =
        handlers.optionsSources ? handlers.optionsSources() : std::vector<OptionsSource>{};
    return replyArray(call, "(stt)", [&](sd_bus_message* reply) {
      for (const auto& s : sources) {
        int r = sd_bus_message_append(reply, "(stt)", s.source.c_str(), s.count, s.lastUsec);
        if (r < 0) return r;
      }
      return 0;
    });
  });
}

int onGetDroppedSources(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const auto sources =
        handlers.droppedSources ? handlers.droppedSources() : std::vector<DroppedSource>{};
    return replyArray(call, "(st)", [&](sd_bus_message* reply) {
      for (const auto& s : sources) {
        int r = sd_bus_message_append(reply, "(st)", s.source.c_str(), s.count);
        if (r < 0) return r;
      }
      return 0;
    });
  });
}

int onGetTrunks(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const auto trunks = handlers.trunks ? handlers.trunks() : std::vector<TrunkState>{};
    return replyArray(call, "(sssst)", [&](sd_bus_message* reply) {
      for (const auto& t : trunks) {
        int r = sd_bus_message_append(reply, "(sssst)", t.dn.c_str(), t.contact.c_str(),
                                      t.state.c_str(), t.reason.c_str(), t.sinceUsec);
        if (r < 0) return r;
      }
      return 0;
    });
  });
}

int onGetCalls(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const auto calls = handlers.calls ? handlers.calls() : std::vector<CallState>{};
    return replyArray(call, "(sssst)", [&](sd_bus_message* reply) {
      for (const auto& c : calls) {
        int r = sd_bus_message_append(reply, "(sssst)", c.callId.c_str(), c.state.c_str(),
                                      c.inbound.c_str(), c.outbound.c_str(), c.sinceUsec);
        if (r < 0) return r;
      }
      return 0;
    });
  });
}

int getActiveCalls(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                   void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const std::uint64_t calls = handlers.activeCalls ? handlers.activeCalls() : 0;
    return sd_bus_message_append(reply, "t", calls);
  });
}

int getCallsPerSecond(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                      void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const double rate = handlers.callsPerSecond ? handlers.callsPerSecond() : 0.0;
    return sd_bus_message_append(reply, "d", rate);
  });
}

int getReplicationState(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                        void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const std::string state = handlers.replicationState ? handlers.replicationState() : "off";
    return sd_bus_message_append(reply, "s", state.c_str());
  });
}

int getReadyForSwitchover(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                          void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const int ready = handlers.readyForSwitchover && handlers.readyForSwitchover() ? 1 : 0;
    return sd_bus_message_append(reply, "b", ready);
  });
}

int getTakingTransactions(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                          void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const int taking = handlers.takingTransactions && handlers.takingTransactions() ? 1 : 0;
    return sd_bus_message_append(reply, "b", taking);
  });
}

int getRole(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
            sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const Role role = handlers.role ? handlers.role() : Role::Backup;
    return sd_bus_message_append(reply, "s", roleName(role).data());
  });
}

int getEpoch(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata,
             sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const std::uint64_t epoch = handlers.epoch ? handlers.epoch() : 0;
    return sd_bus_message_append(reply, "t", epoch);
  });
}

int getBindings(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const std::uint64_t bindings = handlers.bindings ? handlers.bindings() : 0;
    return sd_bus_message_append(reply, "t", bindings);
  });
}

int getCounters(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                void* userdata, sd_bus_error* error) noexcept {
  const auto& handlers = handlersOf(userdata);
  return guarded(error, [&] {
    const auto counters = handlers.counters ? handlers.counters() : std::vector<CounterValue>{};
    int r = sd_bus_message_open_container(reply, SD_BUS_TYPE_ARRAY, "{st}");
    if (r < 0) return r;
    for (const auto& c : counters) {
      r = sd_bus_message_append(reply, "{st}", c.name.c_str(), c.value);
      if (r < 0) return r;
    }
    return sd_bus_message_close_container(reply);
  });
}

// Methods are SD_BUS_VTABLE_UNPRIVILEGED: who may call is the D-Bus policy's decision
// (rootfs/usr/share/dbus-1/system.d/org.sipha.Sipd1.conf), not a CAP_SYS_ADMIN check.
constexpr std::uint64_t kMethodFlags = SD_BUS_VTABLE_UNPRIVILEGED;

const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_NAMES("SetRole", "st", SD_BUS_PARAM(role) SD_BUS_PARAM(epoch), "", "",
                             onSetRole, kMethodFlags),
    SD_BUS_METHOD("Reload", "", "", onReload, kMethodFlags),
    // Answered asynchronously (PendingCall): once the backup holds every record, or an error.
    SD_BUS_METHOD_WITH_NAMES("StopTakingTransactions", "u", SD_BUS_PARAM(timeout_ms), "", "",
                             onStopTakingTransactions, kMethodFlags),
    SD_BUS_METHOD("ResumeTakingTransactions", "", "", onResumeTakingTransactions, kMethodFlags),
    SD_BUS_METHOD_WITH_NAMES("GetOptionsSources", "", "", "a(stt)", SD_BUS_PARAM(sources),
                             onGetOptionsSources, kMethodFlags),
    SD_BUS_METHOD_WITH_NAMES("GetDroppedSources", "", "", "a(st)", SD_BUS_PARAM(sources),
                             onGetDroppedSources, kMethodFlags),
    SD_BUS_METHOD_WITH_NAMES("GetTrunks", "", "", "a(sssst)", SD_BUS_PARAM(trunks), onGetTrunks,
                             kMethodFlags),
    SD_BUS_METHOD_WITH_NAMES("GetCalls", "", "", "a(sssst)", SD_BUS_PARAM(calls), onGetCalls,
                             kMethodFlags),
    SD_BUS_PROPERTY("Role", "s", getRole, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Epoch", "t", getEpoch, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("ReplicationState", "s", getReplicationState, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("ReadyForSwitchover", "b", getReadyForSwitchover, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("TakingTransactions", "b", getTakingTransactions, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    // Counters, Bindings, ActiveCalls and CallsPerSecond change with traffic: read on demand, no
    // change signal.
    SD_BUS_PROPERTY("Counters", "a{st}", getCounters, 0, 0),
    SD_BUS_PROPERTY("Bindings", "t", getBindings, 0, 0),
    SD_BUS_PROPERTY("ActiveCalls", "t", getActiveCalls, 0, 0),
    SD_BUS_PROPERTY("CallsPerSecond", "d", getCallsPerSecond, 0, 0),
    SD_BUS_SIGNAL_WITH_NAMES("RoleChanged", "st", SD_BUS_PARAM(role) SD_BUS_PARAM(epoch), 0),
    SD_BUS_VTABLE_END,
};

}  // namespace

const sd_bus_vtable* sipdVtable() noexcept { return kVtable; }

}  // namespace sipha::control::detail
