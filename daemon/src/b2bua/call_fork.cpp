// Call: parallel forking of a group of targets on the outbound leg (docs/b2bua.md "Forking").
// RFC 3261 16.6 / 16.7 applied to the B2BUA's UAC side: every target of a group gets its INVITE
// at once, the first 2xx wins and the other branches are cancelled (16.7 step 10, with Reason
// cause=200, RFC 3326), the best response is kept across branches (16.7 step 6) and a 6xx ends
// the search (16.7 step 5). One UAC: the branches share the Call-ID, From tag and CSeq space;
// each INVITE has its own CSeq (the key of its responses) and its own early dialog (12.1.2,
// keyed by the callee's To tag).
#include <charconv>

#include "b2bua/call.hpp"
#include "sip/header_id.hpp"

namespace sipha::b2bua {

void Call::startFork(const sip::Message& invite, Output& out) {
  forking_ = true;
  if (!fork_) fork_ = std::make_unique<ForkState>();
  fork_->groupBranches = fork_->branches.size();
  for (std::size_t index = targetIndex_; index < groupEnd_; ++index) {
    std::uint32_t cseq = sendAttempt(index, invite, out);
    Branch branch;
    branch.target = index;
    branch.cseq = cseq;
    branch.dialog = leg(LegId::Outbound).dialog;
    fork_->branches.push_back(std::move(branch));
  }
  // The Outbound slot holds the last branch's dialog, as sendAttempt left it.
  fork_->selected = fork_->branches.size() - 1;
  targetIndex_ = fork_->branches[fork_->selected].target;
  attemptCseq_ = fork_->branches[fork_->selected].cseq;
}

Call::Branch* Call::branchOf(std::uint32_t cseq) noexcept {
  if (!fork_) return nullptr;
  for (Branch& branch : fork_->branches) {
    if (branch.cseq == cseq) return &branch;
  }
  return nullptr;
}

const Call::Branch* Call::branchOf(std::uint32_t cseq) const noexcept {
  if (!fork_) return nullptr;
  for (const Branch& branch : fork_->branches) {
    if (branch.cseq == cseq) return &branch;
  }
  return nullptr;
}

std::size_t Call::targetIndexFor(std::uint32_t inviteCseq) const noexcept {
  const Branch* branch = branchOf(inviteCseq);
  return branch ? branch->target : targetIndex_;
}

std::size_t Call::openBranches() const noexcept {
  if (!forking_ || !fork_) return 0;
  std::size_t open = 0;
  for (std::size_t i = fork_->groupBranches; i < fork_->branches.size(); ++i)
    open += fork_->branches[i].open;
  return open;
}

// Puts `branch`'s early dialog into the Outbound slot (the selected one's goes back to its
// Branch). The leg's CSeq counter is shared by every branch and stays.
void Call::selectBranch(Branch& branch) {
  std::size_t index = static_cast<std::size_t>(&branch - fork_->branches.data());
  if (index == fork_->selected) return;
  Leg& o = leg(LegId::Outbound);
  std::optional<std::uint32_t> localCseq = o.dialog.localCseq;
  fork_->branches[fork_->selected].dialog = std::move(o.dialog);
  o.dialog = branch.dialog;
  o.dialog.localCseq = localCseq;
  const Target& target = targets_[branch.target];
  o.flow = target.flow;
  o.policy = target.transfer;
  fork_->selected = index;
  targetIndex_ = branch.target;
  attemptCseq_ = branch.cseq;
}

// A request on an early dialog while forking goes to (or comes from) one branch: the callee's
// by its From tag; the caller's PRACK to the branch whose reliable provisional it acknowledges
// (RAck's RSeq); any other caller request to the selected branch (the last that spoke).
void Call::routeToBranch(LegId on, const sip::Message& request) {
  if (state_ != CallState::Routing && state_ != CallState::Early) return;
  if (on == LegId::Outbound) {
    std::string_view tag = request.from().tag;
    for (std::size_t i = fork_->groupBranches; i < fork_->branches.size(); ++i) {
      Branch& branch = fork_->branches[i];
      const Dialog& d = i == fork_->selected ? leg(LegId::Outbound).dialog : branch.dialog;
      if (branch.open && !tag.empty() && d.remoteTag == tag) {
        selectBranch(branch);
        return;
      }
    }
    return;
  }
  if (request.method() != sip::Method::Prack || !request.has(sip::HeaderId::RAck)) return;
  std::string_view rack = request.header(sip::HeaderId::RAck);
  std::uint32_t rseq = 0;
  auto [end, error] = std::from_chars(rack.data(), rack.data() + rack.size(), rseq);
  if (error != std::errc{} || end == rack.data()) return;
  for (std::size_t i = fork_->branches.size(); i > fork_->groupBranches; --i) {
    Branch& branch = fork_->branches[i - 1];
    if (branch.open && branch.lastRseq == rseq) {
      selectBranch(branch);
      return;
    }
  }
}

void Call::noteBranchProvisional(Branch& branch, const sip::Message& response) {
  if (!response.has(sip::HeaderId::RSeq)) return;
  std::string_view value = response.header(sip::HeaderId::RSeq);
  std::uint32_t rseq = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), rseq);
  if (error == std::errc{} && end != value.data()) branch.lastRseq = rseq;
}

// Early media (RFC 3960 background): the caller sees one early dialog, so only one branch's
// provisional SDP is relayed, the first branch that sent one; the others' provisionals go
// without body.
bool Call::relayEarlyBody(std::uint32_t cseq, const sip::Message& response) {
  if (response.body().empty()) return true;
  if (fork_->earlyMediaCseq == 0) fork_->earlyMediaCseq = cseq;
  return fork_->earlyMediaCseq == cseq;
}

// The first 2xx: its branch takes the Outbound slot; every other open branch of the group is
// cancelled with Reason cause=200 (RFC 3326; 9.1: once it had a provisional response).
void Call::winBranch(std::uint32_t cseq, Output& out) {
  Branch* winner = branchOf(cseq);
  if (!winner) return;
  selectBranch(*winner);
  winner->open = false;
  cancelOpenBranches(/*completedElsewhere=*/true, out);
  forking_ = false;  // from here on only the winner's CSeq is live
}

// Closes every open branch of the group and CANCELs it (9.1: at once if it had a provisional,
// else when its first provisional arrives); `completedElsewhere` adds Reason cause=200.
void Call::cancelOpenBranches(bool completedElsewhere, Output& out) {
  for (std::size_t i = fork_->groupBranches; i < fork_->branches.size(); ++i) {
    Branch& branch = fork_->branches[i];
    if (!branch.open) continue;
    branch.open = false;
    auto it = findClient(LegId::Outbound, branch.cseq, sip::Method::Invite);
    if (it == leg(LegId::Outbound).clients.end() || it->cancelSent) continue;
    it->completedElsewhere = completedElsewhere;
    if (it->provisional) {
      sendCancel(LegId::Outbound, *it, out);
    } else {
      it->cancelWanted = true;
    }
  }
}

// A final failure (or a timeout) of one branch: 6xx ends the search at once (16.7 step 5; the
// open branches are cancelled by failUpstream); otherwise the group waits for its last branch,
// then the next group starts or the best response goes upstream (16.7 step 6).
void Call::branchFailed(std::uint32_t cseq, std::uint16_t status, std::string_view reason,
                        const sip::Message* response, bool report, bool failover, Output& out) {
  Branch* branch = branchOf(cseq);
  if (!branch) return;
  branch->open = false;
  const bool better = best_.beatenBy(status);
  recordFailure(status, reason, branch->target, report, out);
  if (status >= 600) {
    forking_ = false;
    failUpstream(status, reason, response, out);
    return;
  }
  if (!failover && !targets_[branch->target].huntOnFailure) stopAfterGroup_ = true;
  if (openBranches() > 0) {
    // A caller's request must not go to the dialog that just ended: select an open branch,
    // one with an early dialog when there is one.
    if (&fork_->branches[fork_->selected] == branch) {
      Branch* next = nullptr;
      for (std::size_t i = fork_->groupBranches; i < fork_->branches.size(); ++i) {
        Branch& other = fork_->branches[i];
        if (other.open && (!next || !other.dialog.remoteTag.empty())) next = &other;
      }
      if (next) selectBranch(*next);
    }
    return;
  }
  forking_ = false;
  cancelTimer(TimerKind::NoAnswer, LegId::Outbound, out);
  nextGroupOrFail(response, better, out);
}

// The group's no-answer timeout: every open branch is cancelled (9.1: once it had a
// provisional), the next group starts (not a trunk failure, 480 when nothing is left).
void Call::forkNoAnswer(Output& out) {
  cancelOpenBranches(/*completedElsewhere=*/false, out);
  forking_ = false;
  const bool better = best_.beatenBy(480);
  recordFailure(480, "Temporarily Unavailable", targetIndex_, false, out);
  nextGroupOrFail(nullptr, better, out);
}

}  // namespace sipha::b2bua
