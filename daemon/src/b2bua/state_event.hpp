#pragma once
// The replication form of a call (issue 3 item 7): every change to a leg's dialog after the call
// is answered is emitted as an ordered, numbered event carrying the leg's whole dialog state, so
// the backup node can rebuild the call and re-INVITE or hang it up after a switchover.
// Its wire form is the CallLeg record of sipd's state stream (replication/record.hpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "b2bua/dialog.hpp"
#include "b2bua/types.hpp"

namespace sipha::b2bua {

enum class StateEventKind : std::uint8_t {
  LegUpdated = 1,  // `dialog` is the full current state of `leg`
  CallEnded = 2,   // the call is gone; `dialog` is empty
};

struct StateEvent {
  std::uint64_t sequence = 0;  // per call, from 1, no gaps
  StateEventKind kind = StateEventKind::LegUpdated;
  std::string callKey;  // the inbound leg's Call-ID: links the two legs of one call
  LegId leg = LegId::Inbound;
  Dialog dialog;

  friend bool operator==(const StateEvent&, const StateEvent&) = default;
};

// A ringing call (docs/replication.md "Ringing calls"): what a new primary needs to complete it
// when the callee answers after a switchover, or to pass the caller's CANCEL on. Only a call
// ringing on one target (not forking, no transfer) is kept this way.
struct EarlyCall {
  std::string callKey;
  std::string invite;  // the caller's INVITE as received
  std::string source;  // where it came from, as the integrator spells it ("udp:192.0.2.1:5060")
  std::string inboundTo;
  Dialog inbound;   // our early dialog with the caller (our To tag)
  Dialog outbound;  // the callee's early dialog (its To tag, target, route set)
  // Our outbound INVITE: its CANCEL and the ACK of its 2xx are built from these.
  std::uint32_t inviteCseq = 0;
  std::string branch;
  std::string requestUri;
  std::string nextHop;
  std::string to;
  std::vector<std::string> routes;
  std::string transport = "UDP";
  std::uint32_t noAnswerMs = 0;  // the target's no-answer timeout, re-armed in full at promotion

  friend bool operator==(const EarlyCall&, const EarlyCall&) = default;
};

// The longest route set a replicated dialog may carry (the record decoder refuses more).
inline constexpr std::size_t kMaxRouteSet = 32;

// Rebuilds a call's dialogs from its events on the backup node.
class CallReplica {
 public:
  enum class ApplyResult : std::uint8_t {
    Applied,
    Duplicate,  // sequence already applied: ignored
    Gap,        // a sequence is missing: ask the primary for a snapshot
    WrongCall,  // another call's event
  };
  ApplyResult apply(const StateEvent& event);

  const std::string& callKey() const noexcept { return callKey_; }
  std::uint64_t lastSequence() const noexcept { return lastSequence_; }
  bool ended() const noexcept { return ended_; }
  // Both legs known and the call not ended: Call::restore can rebuild it.
  bool complete() const noexcept { return !ended_ && haveLeg_[0] && haveLeg_[1]; }
  const Dialog& leg(LegId leg) const noexcept { return legs_[legIndex(leg)]; }

 private:
  std::string callKey_;
  std::uint64_t lastSequence_ = 0;
  bool ended_ = false;
  bool haveLeg_[2] = {false, false};
  Dialog legs_[2];
};

}  // namespace sipha::b2bua
