#pragma once
// What a Call asks the integrator to do. A flat struct rather than a variant so wiring code and
// tests read fields directly; only the fields of the given kind are meaningful.
#include <cstdint>
#include <string>
#include <vector>

#include "b2bua/state_event.hpp"
#include "b2bua/types.hpp"
#include "sip/method.hpp"

namespace sipha::b2bua {

enum class ActionKind : std::uint8_t {
  SendRequest,   // bytes on `leg`; a new client transaction unless method is ACK (never one, 17)
  SendResponse,  // bytes on server transaction `server` (leg `leg`), status `status`
  StartTimer,    // (re)arm `timer` after `delay`; call Call::onTimer(timer) when it fires
  CancelTimer,   // disarm `timer`
  TargetFailed,  // target `targetIndex` failed with `status` (408 for a timeout): trunk health
  CallEnded,     // the call is over (final `status` toward the caller); drop it from the table
  // A transfer sipd performs: `bytes` is the Refer-To URI (headers included). Blind: route it
  // like a new call's Request-URI; with Replaces (attended): the target is the other party of
  // the named dialog. The decision goes to Call::onTransferRoute.
  RouteTransfer,
  KeysChanged,  // a leg's Call-ID or tags changed (transfer): CallTable::refresh(call)
  // A transfer swapped the target in: an attended transfer's replaced call can be ended
  // (Call::terminate on the call whose dialog the Replaces named).
  TransferCompleted,
};

struct Action {
  ActionKind kind = ActionKind::SendRequest;
  LegId leg = LegId::Inbound;
  std::string bytes;
  // SendRequest
  sip::Method method = sip::Method::Unknown;
  std::uint32_t cseq = 0;
  std::string branch;     // our top Via branch (client transaction key)
  std::string nextHop;    // URI to resolve for the destination (RFC 3263)
  std::string transport;  // Via transport
  std::string flow;       // a registered phone's connection to reuse (Target::flow); may be empty
  // SendResponse
  ServerRef server = 0;
  std::uint16_t status = 0;
  // StartTimer / CancelTimer
  TimerId timer;
  Duration delay{0};
  // TargetFailed (leg Outbound: of the call's route; leg Transfer: of the transfer's route)
  std::size_t targetIndex = 0;

  bool startsTransaction() const noexcept {
    return kind == ActionKind::SendRequest && method != sip::Method::Ack;
  }
  ClientRef clientRef() const noexcept { return ClientRef{leg, cseq, method}; }
};

// Appended to by every Call entry point; the integrator executes `actions` in order and forwards
// `events` (ordered, numbered per call) to the replication layer. Reuse it to keep capacity.
struct Output {
  std::vector<Action> actions;
  std::vector<StateEvent> events;
  void clear() noexcept {
    actions.clear();
    events.clear();
  }
};

}  // namespace sipha::b2bua
