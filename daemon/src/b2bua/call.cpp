// The B2BUA call state machine: entry points, the initial INVITE, requests within the dialogs.
// RFC 3261 sections are cited where behaviour comes from the spec; docs/b2bua.md has the state
// diagram in words. Message construction is in call_messages.cpp, bookkeeping in
// call_bookkeeping.cpp.
#include "b2bua/call.hpp"

#include <algorithm>

#include "sip/header_id.hpp"
#include "sip/message_builder.hpp"

namespace sipha::b2bua {
namespace {

constexpr std::size_t kindIndex(TimerKind kind) noexcept { return static_cast<std::size_t>(kind); }

}  // namespace

std::string_view callStateName(CallState state) noexcept {
  switch (state) {
    case CallState::Idle:
      return "idle";
    case CallState::Routing:
      return "routing";
    case CallState::Early:
      return "early";
    case CallState::Answered:
      return "answered";
    case CallState::Confirmed:
      return "confirmed";
    case CallState::Cancelling:
      return "cancelling";
    case CallState::Terminating:
      return "terminating";
    case CallState::Ended:
      return "ended";
  }
  return "?";
}

Call::Call(const CallConfig& config, IdSource& ids, BodyTransform* transform)
    : config_(config), ids_(ids), transform_(transform) {}

// ---------------------------------------------------------------------------------------------
// Entry points

void Call::start(std::unique_ptr<sip::Message> invite, const InboundContext& context,
                 RouteDecision route, Output& out) {
  if (!invite || state_ != CallState::Idle || invite->method() != sip::Method::Invite) return;
  const sip::Message& request = *invite;
  Leg& in = leg(LegId::Inbound);
  in.dialog.localTag = ids_.tag();
  in.dialog.transport = context.transport;
  in.flow = context.flow;
  in.policy = context.transfer;
  callKey_.assign(request.callId());
  initialServerId_ = nextServerId_++;
  state_ = CallState::Routing;

  // 16.3 item 3 / 8.2.2: a request out of hops ends here (the B2BUA's loop defence, since
  // the outbound leg carries only our Via).
  if (request.maxForwards() && *request.maxForwards() == 0) {
    failStart(std::move(invite), context.server, 483, "Too Many Hops", out);
    return;
  }
  bool secure = context.overTls && request.requestUri().scheme == sip::UriScheme::Sips;
  if (createUasDialog(request, in.dialog.localTag, secure, in.dialog) != DialogError::None) {
    failStart(std::move(invite), context.server, 400, "Bad Contact or Record-Route", out);
    return;
  }
  in.dialog.transport = context.transport;
  in.flow = context.flow;
  inboundTo_ = in.dialog.localUri;
  respond(LegId::Inbound, request, context.server, 100, "Trying", nullptr, out);
  in.servers.push_back(PendingServer{initialServerId_, std::move(invite), context.server});

  Leg& o = leg(LegId::Outbound);
  o.dialog.callId = ids_.callId();
  o.dialog.localTag = ids_.tag();
  o.ourCallId = true;
  o.dialog.localUri = withoutTransportParam(in.dialog.remoteUri);
  o.dialog.remoteUri = inboundTo_;
  targets_ = std::move(route.targets);
  targetIndex_ = 0;
  if (targets_.empty()) {
    // sipd's own decision, before any attempt: a 503 stays a 503 (with Retry-After); the
    // 16.7 step 6 rule below is for 503s received from a target.
    failUpstream(
        route.failureStatus, route.failureReason, nullptr, out,
        route.failureStatus == 503 ? std::max<std::uint32_t>(route.retryAfterSeconds, 1) : 0);
  } else {
    tryTarget(out);
  }
  flush(out);
}

void Call::failStart(std::unique_ptr<sip::Message> invite, ServerRef server, std::uint16_t status,
                     std::string_view reason, Output& out) {
  respond(LegId::Inbound, *invite, server, status, reason, nullptr, out);
  finalStatus_ = status;
  end(out);
}

void Call::onRequest(LegId on, std::unique_ptr<sip::Message> request, ServerRef server,
                     Output& out) {
  if (!request || request->isResponse()) return;
  sip::Method method = request->method();
  if (state_ == CallState::Ended || state_ == CallState::Idle) {
    if (method != sip::Method::Ack) {
      respond(on, *request, server, 481, "Call/Transaction Does Not Exist", nullptr, out);
    }
    return;
  }
  if (forking_ && on != LegId::Transfer) routeToBranch(on, *request);
  if (on == LegId::Transfer) {
    onTransferLegRequest(std::move(request), server, out);
  } else if (method == sip::Method::Cancel) {
    onCancel(on, std::move(request), server, out);
  } else if (method == sip::Method::Ack) {
    onAck(on, *request, out);
  } else {
    onInDialog(on, std::move(request), server, out);
  }
  flush(out);
}

void Call::onResponse(LegId on, const sip::Message& response, Output& out) {
  if (!response.isResponse()) return;
  sip::Method method = response.cseq().method;
  std::uint32_t cseq = response.cseq().number;
  std::uint16_t status = response.statusCode();
  Leg& l = leg(on);
  auto it = findClient(on, cseq, method);
  if (it == l.clients.end()) {
    if (method == sip::Method::Invite && status >= 200 && status < 300) {
      bool sameDialog = response.to().tag == l.dialog.remoteTag;
      if (sameDialog && l.ackOwed && *l.ackOwed == cseq) {
        // Retransmitted while the caller's ACK is outstanding: our ACK comes with theirs.
      } else if (sameDialog && l.lastAckCseq == cseq && !l.lastAck.empty()) {
        // 13.2.2.4: a retransmitted 2xx is answered with the same ACK.
        Action a;
        a.kind = ActionKind::SendRequest;
        a.leg = on;
        a.bytes = l.lastAck;
        a.method = sip::Method::Ack;
        a.cseq = cseq;
        a.nextHop = l.lastAckNextHop;
        a.transport = l.dialog.transport;
        a.flow = l.flow;
        out.actions.push_back(std::move(a));
      } else if (l.ourCallId && (!sameDialog || state_ == CallState::Ended)) {
        // Another fork's 2xx to our INVITE, or one too late (13.2.2.4). A dialog the peer
        // created has no forks: it answers our in-dialog re-INVITEs only.
        ackAndByeStray(response, out, on);
      }
    }
    flush(out);
    return;
  }
  if (state_ == CallState::Ended) return;
  if (status < 200) {
    it->provisional = true;
    if (it->cancelWanted && !it->cancelSent) sendCancel(on, *it, out);
    if (status > 100) {
      PendingClient& client = *it;
      if (client.kind == ClientKind::Initial) {
        onInitialProvisional(client, response, out);
      } else if (client.kind == ClientKind::Relay) {
        PendingServer* server = findServer(otherLeg(on), client.serverId);
        if (server) {
          respond(otherLeg(on), *server->request, server->server, status, response.reason(),
                  &response, out);
        }
      }
    }
    flush(out);
    return;
  }
  PendingClient client = std::move(*it);
  l.clients.erase(it);
  switch (client.kind) {
    case ClientKind::Initial:
      onInitialFinal(client, response, out);
      break;
    case ClientKind::Relay:
      onRelayFinal(on, client, response, out);
      break;
    case ClientKind::Own:
      maybeEnd(out);
      break;
    case ClientKind::TransferInvite:
      onTransferFinal(client, response, out);
      break;
    case ClientKind::TransferReinvite:
      onTransferReinviteFinal(on, client, status, response.reason(), &response, out);
      break;
  }
  flush(out);
}

void Call::onClientTimeout(const ClientRef& ref, Output& out) {
  if (state_ == CallState::Ended) return;
  LegId on = ref.leg;
  auto it = findClient(on, ref.cseq, ref.method);
  if (it == leg(on).clients.end() && transfer_.swapped &&
      (on == transfer_.transferor || on == LegId::Transfer)) {
    // Started before a transfer swapped the transferor's dialog into the Transfer slot (and the
    // target's into the transferor's): the request went with its dialog.
    on = on == LegId::Transfer ? transfer_.transferor : LegId::Transfer;
    it = findClient(on, ref.cseq, ref.method);
  }
  Leg& l = leg(on);
  if (it == l.clients.end()) return;
  PendingClient client = std::move(*it);
  l.clients.erase(it);
  switch (client.kind) {
    case ClientKind::Initial:
      // 17.1.1.2: Timer B is a 408 for the TU.
      if (isLiveAttempt(client.cseq) &&
          (state_ == CallState::Routing || state_ == CallState::Early)) {
        if (forking_) {
          branchFailed(client.cseq, 408, "Request Timeout", nullptr, true, true, out);
          break;
        }
        cancelTimer(TimerKind::NoAnswer, LegId::Outbound, out);
        targetFailed(408, "Request Timeout", nullptr, true, true, out);
      } else {
        maybeEnd(out);
      }
      break;
    case ClientKind::Relay:
      onRelayFailure(on, client, 408, "Request Timeout", nullptr, out);
      break;
    case ClientKind::Own:
      maybeEnd(out);
      break;
    case ClientKind::TransferInvite:
      if (client.cseq == transfer_.attemptCseq && transfer_.step == TransferStep::Inviting) {
        cancelTimer(TimerKind::NoAnswer, LegId::Transfer, out);
        transferTargetFailed(408, "Request Timeout", true, true, out);  // 17.1.1.2
      } else {
        maybeEnd(out);
      }
      break;
    case ClientKind::TransferReinvite:
      onTransferReinviteFinal(on, client, 408, "Request Timeout", nullptr, out);
      break;
  }
  flush(out);
}

void Call::onTimer(TimerId timer, Output& out) {
  bool& armed = armed_[kindIndex(timer.kind)][legIndex(timer.leg)];
  if (!armed || state_ == CallState::Ended) return;
  armed = false;
  if (timer.leg == LegId::Transfer) {
    onTransferTimer(timer.kind, out);
    flush(out);
    return;
  }
  Leg& l = leg(timer.leg);
  switch (timer.kind) {
    case TimerKind::Retransmit2xx:
      if (l.await.active) {
        Action a;
        a.kind = ActionKind::SendResponse;
        a.leg = timer.leg;
        a.bytes = l.await.bytes;
        a.server = l.await.server;
        a.status = l.await.status;
        out.actions.push_back(std::move(a));
        l.await.interval = std::min(l.await.interval * 2, config_.t2);
        startTimer(TimerKind::Retransmit2xx, timer.leg, l.await.interval, out);
      }
      break;
    case TimerKind::AckTimeout:
      // 13.3.1.4: no ACK within 64*T1: the dialog is confirmed, the session ended with BYE.
      if (l.await.active) {
        stop2xxRetransmission(timer.leg, out);
        teardown(out);
      }
      break;
    case TimerKind::NoAnswer:
      if (forking_ && (state_ == CallState::Routing || state_ == CallState::Early)) {
        forkNoAnswer(out);  // the group's timeout (docs/routing.md): every branch is cancelled
      } else if (state_ == CallState::Routing || state_ == CallState::Early) {
        auto it = findClient(LegId::Outbound, attemptCseq_, sip::Method::Invite);
        if (it != leg(LegId::Outbound).clients.end()) {
          if (it->provisional) {
            sendCancel(LegId::Outbound, *it, out);
          } else {
            it->cancelWanted = true;  // 9.1: no CANCEL before a provisional response
          }
        }
        targetFailed(480, "Temporarily Unavailable", nullptr, false, true, out);
      }
      break;
    case TimerKind::CancelGuard: {
      auto& clients = leg(LegId::Outbound).clients;
      std::erase_if(clients, [](const PendingClient& c) { return c.kind == ClientKind::Initial; });
      maybeEnd(out);
      break;
    }
  }
  flush(out);
}

// ---------------------------------------------------------------------------------------------
// The initial INVITE

void Call::tryTarget(Output& out) {
  PendingServer* server = findServer(LegId::Inbound, initialServerId_);
  if (!server) return;
  if (targetIndex_ >= targets_.size()) {
    failUpstream(best_.statusOr480(), best_.reasonOr480(), nullptr, out);
    return;
  }
  // The group: the targets in a row with the same Target::group (routing::Attempt::group).
  groupEnd_ = targetIndex_ + 1;
  const std::uint32_t group = targets_[targetIndex_].group;
  while (groupEnd_ < targets_.size() && group != Target::kOwnGroup &&
         targets_[groupEnd_].group == group) {
    ++groupEnd_;
  }
  const Duration noAnswer = targets_[targetIndex_].noAnswerTimeout;
  if (groupEnd_ - targetIndex_ > 1) {
    startFork(*server->request, out);
  } else {
    forking_ = false;
    attemptCseq_ = sendAttempt(targetIndex_, *server->request, out);
  }
  if (noAnswer.count() > 0) startTimer(TimerKind::NoAnswer, LegId::Outbound, noAnswer, out);
}

// The outbound INVITE to targets_[index]: the Outbound slot's dialog is set up for that target
// (remote target, To, transport), then the INVITE takes the leg's next CSeq.
std::uint32_t Call::sendAttempt(std::size_t index, const sip::Message& invite, Output& out) {
  const Target& target = targets_[index];
  Dialog& d = leg(LegId::Outbound).dialog;
  d.remoteTarget = target.requestUri;
  d.remoteUri = target.toUri.empty() ? inboundTo_ : "<" + target.toUri + ">";
  d.transport = target.transport;
  d.routeSet.clear();
  d.remoteTag.clear();
  d.remoteCseq.reset();
  d.state = DialogState::Null;
  d.secure = target.requestUri.starts_with("sips:");
  leg(LegId::Outbound).flow = target.flow;
  leg(LegId::Outbound).policy = target.transfer;
  // An INVITE with Replaces for a dialog of ours reaches the other party of that dialog with a
  // Replaces for its own (RFC 3891; CallManager::attendedTarget).
  const sip::HeaderLine replaces[] = {{"Replaces", target.replaces}};
  const OwnContent own{replaces, {}, {}};
  PendingClient* client =
      sendRequest(LegId::Outbound, sip::Method::Invite, &invite, ClientKind::Initial,
                  initialServerId_, out, target.nextHop, target.replaces.empty() ? nullptr : &own);
  return client->cseq;
}

// An initial INVITE whose responses still decide the call: the current attempt, or one of the
// current group's open branches.
bool Call::isLiveAttempt(std::uint32_t cseq) const noexcept {
  if (!forking_) return cseq == attemptCseq_;
  const Branch* branch = branchOf(cseq);
  return branch && branch->open &&
         static_cast<std::size_t>(branch - fork_->branches.data()) >= fork_->groupBranches;
}

void Call::onInitialProvisional(PendingClient& client, const sip::Message& response, Output& out) {
  if (!isLiveAttempt(client.cseq) || client.cancelWanted || client.cancelSent) return;
  if (state_ != CallState::Routing && state_ != CallState::Early) return;
  bool withBody = true;
  if (forking_) {
    Branch* branch = branchOf(client.cseq);
    selectBranch(*branch);
    noteBranchProvisional(*branch, response);
    withBody = relayEarlyBody(client.cseq, response);
  }
  // 12.1.2: a provisional with a To tag creates (or updates) the early dialog.
  if (!response.to().tag.empty()) {
    applyUacResponse(response, leg(LegId::Outbound).dialog);
  }
  PendingServer* server = findServer(LegId::Inbound, initialServerId_);
  if (!server) return;
  // Forking: every branch's provisional goes to the caller in its one early dialog (our tag).
  respond(LegId::Inbound, *server->request, server->server, response.statusCode(),
          response.reason(), &response, out, nullptr, withBody);
  state_ = CallState::Early;
}

void Call::onInitialFinal(const PendingClient& client, const sip::Message& response, Output& out) {
  std::uint16_t status = response.statusCode();
  bool current = isLiveAttempt(client.cseq);
  if (status < 300) {
    if (!current || (state_ != CallState::Routing && state_ != CallState::Early)) {
      ackAndByeStray(response, out);  // a late answer to a cancelled attempt (15, 13.2.2.4)
      maybeEnd(out);
      return;
    }
    cancelTimer(TimerKind::NoAnswer, LegId::Outbound, out);
    if (forking_) winBranch(client.cseq, out);  // the first 2xx wins; the others are cancelled
    Leg& o = leg(LegId::Outbound);
    if (applyUacResponse(response, o.dialog) != DialogError::None) {
      ackAndByeStray(response, out);
      failUpstream(502, "Bad Gateway", nullptr, out);
      return;
    }
    markDirty(LegId::Outbound);
    o.ackOwed = client.cseq;  // sent when the caller's ACK arrives (it may carry the answer)
    PendingServer* server = findServer(LegId::Inbound, initialServerId_);
    if (!server) return;
    std::string bytes;
    respond(LegId::Inbound, *server->request, server->server, status, response.reason(), &response,
            out, &bytes);
    leg(LegId::Inbound).dialog.state = DialogState::Confirmed;  // 12.1.1: on sending the 2xx
    finalStatus_ = status;
    start2xxRetransmission(LegId::Inbound, server->request->cseq().number, server->server,
                           std::move(bytes), status, out);
    eraseServer(LegId::Inbound, initialServerId_);
    state_ = CallState::Answered;
    return;
  }
  if (!current) {  // the end of an attempt we abandoned
    maybeEnd(out);
    return;
  }
  if (state_ != CallState::Routing && state_ != CallState::Early) {
    maybeEnd(out);  // Cancelling: the 487 (or any final) ends the outbound leg
    return;
  }
  bool failover = status == 408 || status >= 500;
  if (forking_) {
    branchFailed(client.cseq, status, response.reason(), &response, true, failover, out);
    return;
  }
  cancelTimer(TimerKind::NoAnswer, LegId::Outbound, out);
  targetFailed(status, response.reason(), &response, true, failover, out);
}

void Call::targetFailed(std::uint16_t status, std::string_view reason, const sip::Message* response,
                        bool reportHealth, bool failover, Output& out) {
  const bool better = best_.beatenBy(status);
  recordFailure(status, reason, targetIndex_, reportHealth, out);
  bool hunt = targetIndex_ < targets_.size() && targets_[targetIndex_].huntOnFailure;
  if (status >= 600 || (!failover && !hunt)) {
    failUpstream(status, reason, response, out);
    return;
  }
  nextGroupOrFail(response, better, out);
}

// TargetFailed for trunk health, and 16.7 step 6: the best response is from the lowest class
// (the first one received of that class).
void Call::recordFailure(std::uint16_t status, std::string_view reason, std::size_t target,
                         bool report, Output& out) {
  if (report) emitTargetFailed(LegId::Outbound, status, target, out);
  best_.offer(status, reason);
}

// Trunk health: the integrator reports the outcome to the target's contact (HealthMonitor).
void Call::emitTargetFailed(LegId search, std::uint16_t status, std::size_t target, Output& out) {
  Action a;
  a.kind = ActionKind::TargetFailed;
  a.leg = search;
  a.status = status;
  a.targetIndex = target;
  out.actions.push_back(std::move(a));
}

// The current group failed: the next group starts, unless a branch stopped the search or none
// is left; then the best response goes upstream (16.7 step 6).
void Call::nextGroupOrFail(const sip::Message* response, bool better, Output& out) {
  if (!stopAfterGroup_ && groupEnd_ < targets_.size()) {
    targetIndex_ = groupEnd_;
    tryTarget(out);
    return;
  }
  failUpstream(best_.status, best_.reason, better ? response : nullptr, out);
}

void Call::failUpstream(std::uint16_t status, std::string_view reason, const sip::Message* response,
                        Output& out, std::uint32_t ownRetryAfter) {
  if (status == 503 && ownRetryAfter == 0) {
    // 16.7 step 6: a 503 is not relayed, so the caller does not take it as about the server.
    status = 500;
    reason = "Server Internal Error";
    response = nullptr;
  }
  PendingServer* server = findServer(LegId::Inbound, initialServerId_);
  if (server && ownRetryAfter != 0) {
    // 21.5.4 / 20.33: our own 503 says when to come back.
    const std::string seconds = std::to_string(ownRetryAfter);
    const sip::HeaderLine retry[] = {{"Retry-After", seconds}};
    sip::ResponseSpec spec;
    spec.status = status;
    spec.reason = reason;
    spec.toTag = leg(LegId::Inbound).dialog.localTag;
    spec.headers = retry;
    emitResponse(LegId::Inbound, server->server, sip::buildResponse(*server->request, spec), status,
                 out);
    eraseServer(LegId::Inbound, initialServerId_);
  } else if (server) {
    respond(LegId::Inbound, *server->request, server->server, status, reason, response, out);
    eraseServer(LegId::Inbound, initialServerId_);
  }
  finalStatus_ = status;
  leg(LegId::Inbound).dialog.state = DialogState::Terminated;
  // Attempts abandoned on the way (no-answer) are still ringing somewhere: CANCEL them first
  // (16.7 step 10 in spirit: no branch is left pending).
  bool attemptsOpen =
      std::any_of(leg(LegId::Outbound).clients.begin(), leg(LegId::Outbound).clients.end(),
                  [](const PendingClient& c) { return c.kind == ClientKind::Initial; });
  if (attemptsOpen) {
    cancelAttempts(out);
  } else {
    end(out);
  }
}

// Every open outbound INVITE gets a CANCEL (9.1: once it had a provisional response), with a
// guard in case a callee never answers it -> Cancelling.
void Call::cancelAttempts(Output& out) {
  cancelTimer(TimerKind::NoAnswer, LegId::Outbound, out);
  state_ = CallState::Cancelling;
  for (PendingClient& client : leg(LegId::Outbound).clients) {
    if (client.kind != ClientKind::Initial || client.cancelSent) continue;
    if (client.provisional) {
      sendCancel(LegId::Outbound, client, out);
    } else {
      client.cancelWanted = true;  // sent when a provisional arrives
    }
  }
  startTimer(TimerKind::CancelGuard, LegId::Outbound, config_.t1 * 64, out);
  maybeEnd(out);
}

// The caller gave up before the answer (CANCEL, 9.2; or BYE on the early dialog, 15).
void Call::abandonInitial(Output& out) {
  PendingServer* server = findServer(LegId::Inbound, initialServerId_);
  if (server) {
    respond(LegId::Inbound, *server->request, server->server, 487, "Request Terminated", nullptr,
            out);
    eraseServer(LegId::Inbound, initialServerId_);
  }
  finalStatus_ = 487;
  leg(LegId::Inbound).dialog.state = DialogState::Terminated;
  cancelAttempts(out);
}

// ---------------------------------------------------------------------------------------------
// Requests on a leg

void Call::onCancel(LegId on, std::unique_ptr<sip::Message> cancel, ServerRef server, Output& out) {
  // 9.2: the CANCEL itself is answered 200 whether or not it still matches.
  respond(on, *cancel, server, 200, "OK", nullptr, out);
  std::uint32_t cseq = cancel->cseq().number;
  if (on == LegId::Inbound && (state_ == CallState::Routing || state_ == CallState::Early)) {
    PendingServer* initial = findServer(LegId::Inbound, initialServerId_);
    if (initial && initial->request->cseq().number == cseq) {
      abandonInitial(out);
      return;
    }
  }
  // A re-INVITE being relayed: 487 here, CANCEL on the other leg.
  Leg& l = leg(on);
  for (PendingServer& pending : l.servers) {
    if (pending.request->method() != sip::Method::Invite ||
        pending.request->cseq().number != cseq) {
      continue;
    }
    respond(on, *pending.request, pending.server, 487, "Request Terminated", nullptr, out);
    std::uint32_t id = pending.id;
    for (PendingClient& client : leg(otherLeg(on)).clients) {
      if (client.serverId != id || client.cancelSent) continue;
      if (client.provisional) {
        sendCancel(otherLeg(on), client, out);
      } else {
        client.cancelWanted = true;
      }
    }
    eraseServer(on, id);
    return;
  }
}

void Call::onAck(LegId on, const sip::Message& ack, Output& out) {
  Leg& l = leg(on);
  // ACKs for non-2xx finals are the transaction layer's; anything else is a stray, absorbed.
  if (!l.await.active || ack.cseq().number != l.await.cseq) return;
  stop2xxRetransmission(on, out);
  Leg& peer = leg(otherLeg(on));
  if (peer.ackOwed) {
    sendAck(otherLeg(on), *peer.ackOwed, &ack, out);
    peer.ackOwed.reset();
  } else if (!ack.body().empty()) {
    noteReceivedBody(on, ack.body(), ack.header(sip::HeaderId::ContentType));
  }
  markDirty(on);
  if (state_ == CallState::Answered) confirm();
}

void Call::onInDialog(LegId on, std::unique_ptr<sip::Message> request, ServerRef server,
                      Output& out) {
  const sip::Message& r = *request;
  Leg& a = leg(on);
  Leg& b = leg(otherLeg(on));
  bool early = state_ == CallState::Routing || state_ == CallState::Early;
  bool usable =
      state_ == CallState::Early || state_ == CallState::Answered || state_ == CallState::Confirmed;
  if (!usable || r.to().tag != a.dialog.localTag || r.from().tag != a.dialog.remoteTag ||
      a.dialog.state == DialogState::Terminated) {
    respond(on, r, server, 481, "Call/Transaction Does Not Exist", nullptr, out);
    return;
  }
  if (!acceptRemoteCseq(r.cseq().number, a.dialog)) {  // 12.2.2
    respond(on, r, server, 500, "CSeq Out of Order", nullptr, out);
    return;
  }
  if (r.maxForwards() && *r.maxForwards() == 0) {  // 8.2.2 / 16.3 item 3
    respond(on, r, server, 483, "Too Many Hops", nullptr, out);
    return;
  }
  markDirty(on);
  if (r.method() == sip::Method::Bye) {
    if (transferring() && !early) {
      if (on == transfer_.transferor) {
        transferorLeft(on, r, server, out);  // a blind transfer goes on without X
        return;
      }
      abortTransfer(487, "Request Terminated", out);  // the transferee left: nothing to move
    }
    if (early) {
      // 15: the caller may end an early dialog with BYE; for us it is a CANCEL of the INVITE.
      // The callee must not (15); either way the attempt is over.
      respond(on, r, server, 200, "OK", nullptr, out);
      if (on == LegId::Inbound) {
        abandonInitial(out);
      } else if (forking_) {
        // One branch's callee left its early dialog: that branch is over (the others go on).
        branchFailed(attemptCseq_, 480, "Temporarily Unavailable", nullptr, false, false, out);
      } else {
        failUpstream(480, "Temporarily Unavailable", nullptr, out);
      }
      return;
    }
    onBye(on, r, server, out);
    return;
  }
  if (b.dialog.remoteTag.empty()) {
    respond(on, r, server, 481, "Call/Transaction Does Not Exist", nullptr, out);
    return;
  }
  if (a.servers.size() >= config_.maxPendingPerLeg) {
    respondRetryLater(on, r, server, out);
    return;
  }
  if (r.method() == sip::Method::Refer && state_ == CallState::Confirmed &&
      onRefer(on, request, server, out)) {
    return;
  }
  if (transferring() && transferBlocks(on, r)) {
    // A transfer owns the session: a new offer (14.2 / RFC 3311 5.2) -> 491; the transferee
    // after the transferor left -> 500 + Retry-After (nobody to relay to).
    if (r.method() == sip::Method::Invite || r.method() == sip::Method::Update) {
      respond(on, r, server, 491, "Request Pending", nullptr, out);
    } else {
      respondRetryLater(on, r, server, out);
    }
    return;
  }
  if (r.method() == sip::Method::Update && !r.body().empty()) {
    // RFC 3311 5.2: an offer while our own offer on this leg is unanswered -> 491.
    bool offerPending = std::any_of(a.clients.begin(), a.clients.end(), [](const auto& c) {
      return c.hasOffer && (c.method == sip::Method::Invite || c.method == sip::Method::Update);
    });
    if (offerPending) {
      respond(on, r, server, 491, "Request Pending", nullptr, out);
      return;
    }
  }
  if (r.method() == sip::Method::Invite) {
    // 14.2 glare: our own INVITE on this dialog is pending -> 491; theirs is -> 500 + Retry-After.
    bool clientInvite = std::any_of(a.clients.begin(), a.clients.end(),
                                    [](const auto& c) { return c.method == sip::Method::Invite; });
    if (clientInvite) {
      respond(on, r, server, 491, "Request Pending", nullptr, out);
      return;
    }
    bool serverInvite =
        a.await.active || std::any_of(a.servers.begin(), a.servers.end(), [](const auto& s) {
          return s.request->method() == sip::Method::Invite;
        });
    if (serverInvite) {
      respondRetryLater(on, r, server, out);
      return;
    }
    respond(on, r, server, 100, "Trying", nullptr, out);
  }
  if (r.method() == sip::Method::Invite || r.method() == sip::Method::Update) {
    refreshRemoteTarget(r, a.dialog);  // 12.2.2 target refresh
  }
  std::uint32_t id = nextServerId_++;
  a.servers.push_back(PendingServer{id, std::move(request), server});
  sendRequest(otherLeg(on), a.servers.back().request->method(), a.servers.back().request.get(),
              ClientKind::Relay, id, out);
}

void Call::respondRetryLater(LegId on, const sip::Message& request, ServerRef server, Output& out) {
  // 14.2: a Retry-After between 0 and 10 seconds.
  const sip::HeaderLine retry[] = {{"Retry-After", retryAfter_}};
  sip::ResponseSpec spec;
  spec.status = 500;
  spec.reason = "Server Internal Error";
  spec.headers = retry;
  emitResponse(on, server, sip::buildResponse(request, spec), 500, out);
}

void Call::onBye(LegId on, const sip::Message& bye, ServerRef server, Output& out) {
  respond(on, bye, server, 200, "OK", nullptr, out);  // 15.1.2
  Leg& a = leg(on);
  a.dialog.state = DialogState::Terminated;
  stop2xxRetransmission(on, out);
  if (a.ackOwed) {
    sendAck(on, *a.ackOwed, nullptr, out);  // a 2xx of theirs still unacknowledged
    a.ackOwed.reset();
  }
  answerPending(on, 487, "Request Terminated", out);
  answerPending(otherLeg(on), 487, "Request Terminated", out);
  endReplication(out);
  state_ = CallState::Terminating;
  Leg& b = leg(otherLeg(on));
  stop2xxRetransmission(otherLeg(on), out);
  if (b.ackOwed) {
    sendAck(otherLeg(on), *b.ackOwed, nullptr, out);  // 13.2.2.4: ACK the 2xx, then BYE
    b.ackOwed.reset();
  }
  if (b.dialog.state != DialogState::Terminated && !b.dialog.remoteTag.empty()) {
    sendRequest(otherLeg(on), sip::Method::Bye, &bye, ClientKind::Own, 0, out);
    b.dialog.state = DialogState::Terminated;
  }
  maybeEnd(out);
}

// Ends both dialogs with BYE (13.3.1.4 missing ACK, 12.2.1.2 408/481 within the dialog).
void Call::teardown(Output& out) {
  abortTransfer(500, "Server Internal Error", out);
  if (state_ == CallState::Routing || state_ == CallState::Early) {
    // Still ringing (a PRACK or UPDATE failed): a UAS ends its early dialog with a final
    // response, not BYE (15); the outbound attempt is cancelled.
    answerPending(LegId::Outbound, 487, "Request Terminated", out);
    for (PendingServer& pending : leg(LegId::Inbound).servers) {
      if (pending.id == initialServerId_) continue;
      respond(LegId::Inbound, *pending.request, pending.server, 487, "Request Terminated", nullptr,
              out);
    }
    std::erase_if(leg(LegId::Inbound).servers,
                  [this](const PendingServer& s) { return s.id != initialServerId_; });
    failUpstream(500, "Server Internal Error", nullptr, out);
    return;
  }
  endReplication(out);
  state_ = CallState::Terminating;
  for (LegId id : {LegId::Inbound, LegId::Outbound}) {
    Leg& l = leg(id);
    stop2xxRetransmission(id, out);
    answerPending(id, 487, "Request Terminated", out);
    if (l.ackOwed) {
      sendAck(id, *l.ackOwed, nullptr, out);
      l.ackOwed.reset();
    }
    if (l.dialog.state != DialogState::Terminated && !l.dialog.remoteTag.empty()) {
      sendRequest(id, sip::Method::Bye, nullptr, ClientKind::Own, 0, out);
      l.dialog.state = DialogState::Terminated;
    }
  }
  maybeEnd(out);
}

void Call::answerPending(LegId on, std::uint16_t status, std::string_view reason, Output& out) {
  Leg& l = leg(on);
  for (PendingServer& pending : l.servers) {
    respond(on, *pending.request, pending.server, status, reason, nullptr, out);
  }
  l.servers.clear();
}

void Call::onRelayFinal(LegId on, const PendingClient& client, const sip::Message& response,
                        Output& out) {
  LegId back = otherLeg(on);
  std::uint16_t status = response.statusCode();
  PendingServer* server = findServer(back, client.serverId);
  if (status < 300 &&
      (client.method == sip::Method::Invite || client.method == sip::Method::Update)) {
    refreshRemoteTarget(response, leg(on).dialog);  // 12.2.1.2 target refresh
    markDirty(on);
  }
  if (client.method == sip::Method::Invite && status < 300) {
    if (!server) {
      sendAck(on, client.cseq, nullptr, out);  // the re-INVITE was cancelled upstream
      return;
    }
    std::string bytes;
    respond(back, *server->request, server->server, status, response.reason(), &response, out,
            &bytes);
    leg(on).ackOwed = client.cseq;
    start2xxRetransmission(back, server->request->cseq().number, server->server, std::move(bytes),
                           status, out);
    eraseServer(back, client.serverId);
    return;
  }
  if (server) {
    respond(back, *server->request, server->server, status, response.reason(), &response, out);
    eraseServer(back, client.serverId);
  }
  if (status == 481 || status == 408) teardown(out);  // 12.2.1.2
}

void Call::onRelayFailure(LegId on, const PendingClient& client, std::uint16_t status,
                          std::string_view reason, const sip::Message* response, Output& out) {
  LegId back = otherLeg(on);
  PendingServer* server = findServer(back, client.serverId);
  if (server) {
    respond(back, *server->request, server->server, status, reason, response, out);
    eraseServer(back, client.serverId);
  }
  teardown(out);  // 12.2.1.2: a timeout within the dialog ends it
}

}  // namespace sipha::b2bua
