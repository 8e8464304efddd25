#pragma once
// What sipd's D-Bus object does, supplied by the daemon's glue: the control layer owns the bus
// plumbing, the daemon owns the state. Every handler runs on the event loop thread, from
// sd_bus_process; it must not block. An empty handler makes the method answer
// org.freedesktop.DBus.Error.NotSupported, or the property read its neutral value.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/dbus/call_result.hpp"
#include "common/ha/role.hpp"

namespace sipha::control {

using common::CallResult;
using common::parseRole;
using common::Role;
using common::roleName;

struct CounterValue {
  std::string name;  // e.g. "udp.rx", "parse.errors"
  std::uint64_t value = 0;
};

// How a node sees the BIG-IP monitor: OPTIONS received per source "ip:port".
struct OptionsSource {
  std::string source;
  std::uint64_t count = 0;
  std::uint64_t lastUsec = 0;  // microseconds since the Unix epoch (CLOCK_REALTIME)
};

// UDP datagrams dropped while backup, per source "ip:port".
struct DroppedSource {
  std::string source;
  std::uint64_t count = 0;
};

// A trunk contact's health (oos-check / oos-force / recovery-timeout), for the web UI.
struct TrunkState {
  std::string dn;
  std::string contact;
  std::string state;            // "in-service" / "out-of-service"
  std::string reason;           // "configured", "answered", "no-answer", ...
  std::uint64_t sinceUsec = 0;  // CLOCK_REALTIME microseconds
};

// One call through the B2BUA and its two legs, for the web UI.
struct CallState {
  std::string callId;           // the caller's Call-ID (the call's key)
  std::string state;            // "routing", "early", "confirmed", ...
  std::string inbound;          // the caller: remote URI of the inbound leg
  std::string outbound;         // the callee: remote URI of the outbound leg (its target)
  std::uint64_t sinceUsec = 0;  // CLOCK_REALTIME microseconds when the INVITE arrived
};

// The reply to a method answered later (StopTakingTransactions): the handler keeps it and calls
// it once, on the event loop thread, with success or an error — now or from a later callback.
// Copies share the pending call; calls after the first are ignored. Dropping every copy unanswered
// sends nothing (sipd is stopping; the caller sees the connection go).
using DeferredReply = std::function<void(const CallResult& result)>;

struct SipdHandlers {
  // SetRole(s role, t epoch): the role string is already validated (InvalidArgument otherwise).
  // The handler refuses a stale epoch with bus::kErrorStaleEpoch.
  std::function<CallResult(Role role, std::uint64_t epoch)> setRole;
  // Reload(): bus::kErrorConfigInvalid with "FILE:LINE: option 'NAME': reason" on a bad file.
  std::function<CallResult()> reload;
  std::function<std::vector<CounterValue>()> counters;         // property Counters a{st}
  std::function<std::vector<OptionsSource>()> optionsSources;  // GetOptionsSources a(stt)
  std::function<std::vector<DroppedSource>()> droppedSources;  // GetDroppedSources a(st)
  std::function<Role()> role;                                  // property Role s (default backup)
  std::function<std::uint64_t()> epoch;                        // property Epoch t
  std::function<std::uint64_t()> bindings;                     // property Bindings t
  std::function<std::uint64_t()> activeCalls;                  // property ActiveCalls t
  std::function<double()> callsPerSecond;                      // property CallsPerSecond d
  std::function<std::vector<TrunkState>()> trunks;             // GetTrunks a(sssst)
  std::function<std::vector<CallState>()> calls;               // GetCalls a(sssst)
  // Hot standby (docs/replication.md): "off", "connecting", "snapshot", "streaming", "degraded".
  std::function<std::string()> replicationState;  // property ReplicationState s
  std::function<bool()> readyForSwitchover;       // property ReadyForSwitchover b
  // Switchover drain (docs/replication.md): StopTakingTransactions(u timeout_ms), asynchronous;
  // ResumeTakingTransactions(); property TakingTransactions b (primary and not stopped).
  std::function<void(std::uint32_t timeoutMs, DeferredReply reply)> stopTakingTransactions;
  std::function<CallResult()> resumeTakingTransactions;
  std::function<bool()> takingTransactions;
};

}  // namespace sipha::control
