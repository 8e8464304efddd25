#include "b2bua/state_event.hpp"

namespace sipha::b2bua {

CallReplica::ApplyResult CallReplica::apply(const StateEvent& event) {
  if (lastSequence_ == 0 && callKey_.empty()) {
    callKey_ = event.callKey;
  } else if (event.callKey != callKey_) {
    return ApplyResult::WrongCall;
  }
  // A fresh replica starts wherever the stream starts (a snapshot on connect); after that the
  // sequence must advance by one.
  if (lastSequence_ != 0) {
    if (event.sequence <= lastSequence_) return ApplyResult::Duplicate;
    if (event.sequence != lastSequence_ + 1) return ApplyResult::Gap;
  }
  lastSequence_ = event.sequence;
  if (event.kind == StateEventKind::CallEnded) {
    ended_ = true;
  } else {
    legs_[legIndex(event.leg)] = event.dialog;
    haveLeg_[legIndex(event.leg)] = true;
  }
  return ApplyResult::Applied;
}

}  // namespace sipha::b2bua
