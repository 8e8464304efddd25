// Call: transfers (RFC 3515 REFER; the reference's refer-enabled and blind-transfer-enabled DN
// options). docs/b2bua.md "Transfers" has the decisions. In short: a REFER in a confirmed call
// from the transferor X toward the transferee Y (the other leg) is refused 403 when it is blind
// and X may not blind-transfer, relayed to Y when Y's DN has refer-enabled = true, and otherwise
// (blind only) performed by sipd: 202 + NOTIFY 100 to X, the Refer-To routed like a new call,
// INVITE to the target C carrying Y's last session description, C's answer offered to Y by
// re-INVITE, then NOTIFY 200 + BYE to X, and C's dialog takes X's slot.
#include <algorithm>
#include <charconv>

#include "b2bua/call.hpp"
#include "sip/header_id.hpp"
#include "sip/message_builder.hpp"
#include "sip/name_addr.hpp"
#include "sip/text.hpp"
#include "sip/uri.hpp"

namespace sipha::b2bua {
namespace {

constexpr std::string_view kSipfrag = "message/sipfrag;version=2.0";

// RFC 3891 / RFC 3515 2.1: an attended transfer names the dialog to replace in the Refer-To URI's
// headers ("?Replaces=..."); a blind one does not.
bool hasReplaces(std::string_view headers) noexcept {
  while (!headers.empty()) {
    std::size_t amp = headers.find('&');
    std::string_view item = headers.substr(0, amp);
    std::string_view name = item.substr(0, item.find('='));
    if (sip::text::iequals(name, "Replaces")) return true;
    if (amp == std::string_view::npos) break;
    headers.remove_prefix(amp + 1);
  }
  return false;
}

std::string numberText(std::uint32_t value) {
  char buffer[16];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The REFER

// True when the REFER was answered here; false: relay it to the other leg like any request.
bool Call::onRefer(LegId on, std::unique_ptr<sip::Message>& request, ServerRef server,
                   Output& out) {
  const sip::Message& r = *request;
  // RFC 3515 2.4.1: exactly one Refer-To, else 400.
  std::string_view value;
  std::size_t count = 0;
  for (std::string_view v : r.values(sip::HeaderId::ReferTo)) {
    value = v;
    ++count;
  }
  sip::NameAddr referTo;
  sip::Uri uri;
  if (count != 1 || !sip::parseNameAddr(value, referTo) || !referTo.parsedUri(uri)) {
    respond(on, r, server, 400, "Bad Refer-To", nullptr, out);
    return true;
  }
  if (transferBusy()) {  // one transfer at a time per call
    respondRetryLater(on, r, server, out);
    return true;
  }
  bool blind = !hasReplaces(uri.headers);
  const Leg& x = leg(on);
  const Leg& y = leg(otherLeg(on));
  if (blind && !x.policy.blindTransferEnabled) {
    respond(on, r, server, 403, "Blind Transfer Not Enabled", nullptr, out);
    return true;
  }
  if (y.policy.referEnabled) return false;  // RFC 3515 end to end: Y handles the REFER
  // The transfer re-INVITEs Y: no INVITE may be under way on either leg (14.2).
  for (LegId id : {on, otherLeg(on)}) {
    const Leg& l = leg(id);
    bool invitePending =
        l.await.active || l.ackOwed ||
        std::any_of(l.clients.begin(), l.clients.end(),
                    [](const PendingClient& c) { return c.method == sip::Method::Invite; }) ||
        std::any_of(l.servers.begin(), l.servers.end(), [](const PendingServer& s) {
          return s.request->method() == sip::Method::Invite;
        });
    if (invitePending) {
      respondRetryLater(on, r, server, out);
      return true;
    }
  }
  startTransfer(on, r, server, uri.text, out);
  return true;
}

bool Call::transferBusy() const noexcept {
  // A previous transfer's leg still releases the old transferor or cancels a target.
  return transferring() || !leg(LegId::Transfer).clients.empty();
}

bool Call::transferBlocks(LegId on, const sip::Message& request) const noexcept {
  sip::Method method = request.method();
  if (method == sip::Method::Invite) return true;
  if (method == sip::Method::Update && !request.body().empty()) return true;
  return transfer_.transferorGone && on == otherLeg(transfer_.transferor);
}

// RFC 3515 2.4.2 / 2.4.4: accept, then report progress by NOTIFY on the REFER's dialog.
void Call::startTransfer(LegId on, const sip::Message& refer, ServerRef server,
                         std::string_view referTo, Output& out) {
  respond(on, refer, server, 202, "Accepted", nullptr, out);
  Leg& x = leg(on);
  // 2.4.6: the NOTIFYs of a second or later REFER in a dialog carry id = the REFER's CSeq.
  transfer_ = TransferState{};
  transfer_.event = x.refers++ == 0 ? "refer" : "refer;id=" + numberText(refer.cseq().number);
  transfer_.step = TransferStep::Routing;
  transfer_.transferor = on;
  transfer_.referTo.assign(referTo.substr(0, referTo.find('?')));
  transfer_.referredBy.assign(refer.header(sip::HeaderId::ReferredBy));
  sendNotify(on, 100, "Trying", false, out);
  Action a;
  a.kind = ActionKind::RouteTransfer;
  a.leg = LegId::Transfer;
  a.bytes.assign(referTo);  // with its headers: Replaces makes it an attended transfer
  out.actions.push_back(std::move(a));
}

void Call::sendNotify(LegId on, std::uint16_t status, std::string_view reason, bool final,
                      Output& out) {
  // RFC 3515 2.4.5: the body is a sipfrag of the status line; the last NOTIFY terminates the
  // implicit subscription (RFC 6665 4.1.3: reason=noresource, the subscribed resource is gone).
  std::string body = "SIP/2.0 " + numberText(status) + " " + std::string(reason) + "\r\n";
  const sip::HeaderLine lines[] = {
      {"Event", transfer_.event},
      {"Subscription-State", final ? "terminated;reason=noresource" : "active;expires=60"}};
  OwnContent content{lines, kSipfrag, body};
  sendRequest(on, sip::Method::Notify, nullptr, ClientKind::Own, 0, out, {}, &content);
}

void Call::onTransferRoute(RouteDecision route, Output& out) {
  if (state_ == CallState::Ended || transfer_.step != TransferStep::Routing) return;
  if (route.targets.empty()) {
    transferFailed(route.failureStatus, route.failureReason, out);
    flush(out);
    return;
  }
  transfer_.targets = std::move(route.targets);
  transfer_.index = 0;
  transfer_.step = TransferStep::Inviting;
  // The new leg: our own Call-ID, tag and CSeq space (like every outbound leg); From is the
  // transferee, whom the target will talk to.
  Leg& t = leg(LegId::Transfer);
  t = Leg{};
  t.ourCallId = true;
  t.dialog.callId = ids_.callId();
  t.dialog.localTag = ids_.tag();
  t.dialog.localUri = withoutTransportParam(leg(otherLeg(transfer_.transferor)).dialog.remoteUri);
  keysChanged(out);
  tryTransferTarget(out);
  flush(out);
}

void Call::tryTransferTarget(Output& out) {
  if (transfer_.index >= transfer_.targets.size()) {
    transferFailed(transfer_.best.statusOr480(), transfer_.best.reasonOr480(), out);
    return;
  }
  // The offer to the target is the transferee's session: without one there is nothing to offer
  // (the target's offer could not be answered: we ACK it before the transferee is asked).
  LegId y = otherLeg(transfer_.transferor);
  std::string_view ySdp = sessionOf(y);
  if (ySdp.empty()) {
    transferFailed(488, "Not Acceptable Here", out);
    return;
  }
  const Target& target = transfer_.targets[transfer_.index];
  Leg& t = leg(LegId::Transfer);
  Dialog& d = t.dialog;
  d.remoteTarget = target.requestUri;
  d.remoteUri = "<" + (target.toUri.empty() ? transfer_.referTo : target.toUri) + ">";
  d.transport = target.transport;
  d.routeSet.clear();
  d.remoteTag.clear();
  d.state = DialogState::Null;
  d.secure = target.requestUri.starts_with("sips:");
  t.flow = target.flow;
  t.policy = target.transfer;
  // The offer is the transferee's last session description, stamped for the new leg (its own
  // o= line and version, RFC 3264 8) and resumed: the transferor usually put the transferee on
  // hold first (always, for an attended transfer), and its recvonly answer offered as is would
  // leave the new call one-way.
  std::string body =
      transformBody(y, LegId::Transfer, ySdp, "application/sdp", sip::Method::Invite, 0, true);
  std::vector<sip::HeaderLine> lines;
  if (!transfer_.referredBy.empty()) lines.push_back({"Referred-By", transfer_.referredBy});
  if (!target.replaces.empty()) lines.push_back({"Replaces", target.replaces});  // RFC 3891
  OwnContent content{lines, body.empty() ? std::string_view() : "application/sdp", body};
  PendingClient* client = sendRequest(LegId::Transfer, sip::Method::Invite, nullptr,
                                      ClientKind::TransferInvite, 0, out, target.nextHop, &content);
  transfer_.attemptCseq = client->cseq;
  Duration ring =
      target.noAnswerTimeout.count() > 0 ? target.noAnswerTimeout : config_.transferNoAnswer;
  startTimer(TimerKind::NoAnswer, LegId::Transfer, ring, out);
}

void Call::onTransferFinal(const PendingClient& client, const sip::Message& response, Output& out) {
  std::uint16_t status = response.statusCode();
  bool current = client.cseq == transfer_.attemptCseq && transfer_.step == TransferStep::Inviting;
  if (status < 300) {
    if (!current) {
      ackAndByeStray(response, out, LegId::Transfer);  // a cancelled or abandoned attempt
      maybeEnd(out);
      return;
    }
    cancelTimer(TimerKind::NoAnswer, LegId::Transfer, out);
    Leg& t = leg(LegId::Transfer);
    if (applyUacResponse(response, t.dialog) != DialogError::None) {
      ackAndByeStray(response, out, LegId::Transfer);
      transferFailed(502, "Bad Gateway", out);
      return;
    }
    sendAck(LegId::Transfer, client.cseq, nullptr, out);  // 13.2.2.4; the offer was ours
    std::string_view answer = response.body();
    std::string_view contentType = response.header(sip::HeaderId::ContentType);
    if (answer.empty() || !isSdpType(contentType)) {
      releaseTransferTarget(out);
      transferFailed(488, "Not Acceptable Here", out);
      return;
    }
    // 14.1: the target's answer becomes the new offer to the transferee (a new o= version on
    // the transferee's leg).
    LegId y = otherLeg(transfer_.transferor);
    std::string body =
        transformBody(LegId::Transfer, y, answer, contentType, sip::Method::Invite, 0);
    OwnContent content{{}, contentType, body};
    sendRequest(y, sip::Method::Invite, nullptr, ClientKind::TransferReinvite, 0, out, {},
                &content);
    transfer_.step = TransferStep::Reinviting;
    return;
  }
  if (!current) {
    maybeEnd(out);
    return;
  }
  cancelTimer(TimerKind::NoAnswer, LegId::Transfer, out);
  transferTargetFailed(status, response.reason(), true, status == 408 || status >= 500, out);
}

// The failover rules of the initial INVITE (docs/b2bua.md): 408, 5xx and timeouts try the next
// target, 6xx and other 4xx stop; the best failure (16.7 step 6) goes to the transferor.
void Call::transferTargetFailed(std::uint16_t status, std::string_view reason, bool reportHealth,
                                bool failover, Output& out) {
  if (reportHealth) emitTargetFailed(LegId::Transfer, status, transfer_.index, out);
  transfer_.best.offer(status, reason);
  if (status >= 600 || !failover) {
    transferFailed(status, reason, out);
    return;
  }
  ++transfer_.index;
  tryTransferTarget(out);
}

void Call::onTransferReinviteFinal(LegId on, const PendingClient& client, std::uint16_t status,
                                   std::string_view reason, const sip::Message* response,
                                   Output& out) {
  if (response && status < 300) {
    refreshRemoteTarget(*response, leg(on).dialog);  // 12.2.1.2 target refresh
    markDirty(on);
    sendAck(on, client.cseq, nullptr, out);
    if (!response->body().empty()) {
      noteReceivedBody(on, response->body(), response->header(sip::HeaderId::ContentType));
    }
  }
  if (transfer_.step != TransferStep::Reinviting) {
    maybeEnd(out);  // aborted meanwhile: the ACK above was all that was left
    return;
  }
  if (status < 300 && !transfer_.targetGone) {
    completeTransfer(out);
    return;
  }
  // The transferee refused the target's session (or the target left): a failed re-INVITE
  // leaves the session as it was (14.1), so X and Y keep talking; the target is released.
  if (status < 300) {
    status = 487;
    reason = "Request Terminated";
  }
  releaseTransferTarget(out);
  transferFailed(status, reason, out);
  if ((status == 481 || status == 408) && state_ == CallState::Confirmed) {
    teardown(out);  // 12.2.1.2: the transferee's dialog is gone
  } else if (transfer_.targetGone && state_ == CallState::Confirmed && status == 487) {
    teardown(out);  // the transferee now points at a party that left
  }
}

// The transfer target's dialog ends (BYE once it answered; a CANCEL is abortTransfer's).
void Call::releaseTransferTarget(Output& out) {
  Leg& t = leg(LegId::Transfer);
  if (t.dialog.state == DialogState::Confirmed && !t.dialog.remoteTag.empty()) {
    sendRequest(LegId::Transfer, sip::Method::Bye, nullptr, ClientKind::Own, 0, out);
  }
  t.dialog.state = DialogState::Terminated;
}

void Call::transferFailed(std::uint16_t status, std::string_view reason, Output& out) {
  transfer_.step = TransferStep::None;
  cancelTimer(TimerKind::NoAnswer, LegId::Transfer, out);
  if (!transfer_.transferorGone) {
    sendNotify(transfer_.transferor, status, reason, true, out);  // RFC 3515 2.4.5
    return;
  }
  teardown(out);  // X left after the 202 and nobody takes Y: the call ends
}

// The transferee hung up or the call is torn down: the target is cancelled or released.
void Call::abortTransfer(std::uint16_t status, std::string_view reason, Output& out) {
  if (!transferring()) return;
  TransferStep step = transfer_.step;
  transfer_.step = TransferStep::None;
  cancelTimer(TimerKind::NoAnswer, LegId::Transfer, out);
  bool open = false;
  for (PendingClient& client : leg(LegId::Transfer).clients) {
    if (client.kind != ClientKind::TransferInvite || client.cancelSent) continue;
    open = true;
    if (client.provisional) {
      sendCancel(LegId::Transfer, client, out);
    } else {
      client.cancelWanted = true;  // 9.1: sent when a provisional arrives
    }
  }
  if (open) startTimer(TimerKind::CancelGuard, LegId::Transfer, config_.t1 * 64, out);
  if (step == TransferStep::Reinviting) releaseTransferTarget(out);
  if (!transfer_.transferorGone) sendNotify(transfer_.transferor, status, reason, true, out);
}

// The transferee accepted the target's session: the target takes the transferor's slot, the
// transferor's dialog moves to the Transfer slot and is released (NOTIFY 200, BYE).
void Call::completeTransfer(Output& out) {
  LegId x = transfer_.transferor;
  detachRelays(x, out);
  // Attempts abandoned on the way (cancelled targets) stay with the transfer's bookkeeping: a
  // late answer of theirs is a stray 2xx (ACK + BYE) or nothing.
  cancelTimer(TimerKind::CancelGuard, LegId::Transfer, out);
  std::erase_if(leg(LegId::Transfer).clients,
                [](const PendingClient& c) { return c.kind == ClientKind::TransferInvite; });
  std::swap(leg(x), leg(LegId::Transfer));
  if (transform_) transform_->swapLegs(x, LegId::Transfer);
  transfer_.swapped = true;
  transfer_.step = TransferStep::None;
  Leg& old = leg(LegId::Transfer);
  if (!transfer_.transferorGone) {
    sendNotify(LegId::Transfer, 200, "OK", true, out);
    if (old.dialog.state != DialogState::Terminated) {
      sendRequest(LegId::Transfer, sip::Method::Bye, nullptr, ClientKind::Own, 0, out);
    }
  }
  old.dialog.state = DialogState::Terminated;
  markDirty(x);
  markDirty(otherLeg(x));
  keysChanged(out);
  Action done;
  done.kind = ActionKind::TransferCompleted;
  done.leg = x;
  out.actions.push_back(std::move(done));
}

void Call::terminate(Output& out) {
  if (state_ != CallState::Confirmed) return;
  teardown(out);
  flush(out);
}

// X hung up after the 202 (a blind transfer does not need it): 200, its requests and the ones
// relayed to it are ended; Y stays until the target answers or the transfer fails.
void Call::transferorLeft(LegId on, const sip::Message& bye, ServerRef server, Output& out) {
  respond(on, bye, server, 200, "OK", nullptr, out);  // 15.1.2
  leg(on).dialog.state = DialogState::Terminated;
  stop2xxRetransmission(on, out);
  detachRelays(on, out);
  transfer_.transferorGone = true;
}

// Requests relayed between `on` and its linked leg are answered 487; the requests still out
// are kept only as our own (their answers change nothing).
void Call::detachRelays(LegId on, Output& out) {
  for (LegId side : {on, otherLeg(on)}) {
    answerPending(side, 487, "Request Terminated", out);
    for (PendingClient& client : leg(side).clients) {
      if (client.kind == ClientKind::Relay) client.kind = ClientKind::Own;
    }
  }
}

// Requests on the Transfer slot: the target before the swap, or the old transferor after it.
void Call::onTransferLegRequest(std::unique_ptr<sip::Message> request, ServerRef server,
                                Output& out) {
  const sip::Message& r = *request;
  Leg& t = leg(LegId::Transfer);
  sip::Method method = r.method();
  if (method == sip::Method::Ack) return;
  bool ours = r.to().tag == t.dialog.localTag && r.from().tag == t.dialog.remoteTag &&
              !t.dialog.remoteTag.empty();
  if (!ours || method == sip::Method::Cancel) {
    respond(LegId::Transfer, r, server, 481, "Call/Transaction Does Not Exist", nullptr, out);
    return;
  }
  if (method == sip::Method::Bye) {
    respond(LegId::Transfer, r, server, 200, "OK", nullptr, out);  // 15.1.2
    if (!transfer_.swapped && transfer_.step == TransferStep::Reinviting) {
      transfer_.targetGone = true;  // decided when the transferee answers
    }
    t.dialog.state = DialogState::Terminated;
    return;
  }
  if (transfer_.swapped || t.dialog.state == DialogState::Terminated) {
    respond(LegId::Transfer, r, server, 481, "Call/Transaction Does Not Exist", nullptr, out);
    return;
  }
  respondRetryLater(LegId::Transfer, r, server, out);  // linked once the transferee answers
}

void Call::onTransferTimer(TimerKind kind, Output& out) {
  if (kind == TimerKind::NoAnswer && transfer_.step == TransferStep::Inviting) {
    auto it = findClient(LegId::Transfer, transfer_.attemptCseq, sip::Method::Invite);
    if (it != leg(LegId::Transfer).clients.end()) {
      if (it->provisional) {
        sendCancel(LegId::Transfer, *it, out);
      } else {
        it->cancelWanted = true;  // 9.1
      }
      startTimer(TimerKind::CancelGuard, LegId::Transfer, config_.t1 * 64, out);
    }
    transferTargetFailed(480, "Temporarily Unavailable", false, true, out);
  } else if (kind == TimerKind::CancelGuard) {
    // A cancelled target that never gave a final answer: give it up.
    std::uint32_t current =
        transfer_.step == TransferStep::Inviting ? transfer_.attemptCseq : 0xffffffffu;
    std::erase_if(leg(LegId::Transfer).clients, [current](const PendingClient& c) {
      return c.kind == ClientKind::TransferInvite && c.cseq != current;
    });
    maybeEnd(out);
  }
}

void Call::keysChanged(Output& out) {
  Action a;
  a.kind = ActionKind::KeysChanged;
  a.leg = LegId::Transfer;
  out.actions.push_back(std::move(a));
}

void Call::tableKeys(std::vector<TableKey>& out) const {
  for (LegId id : {LegId::Inbound, LegId::Outbound, LegId::Transfer}) {
    const Leg& l = leg(id);
    if (l.dialog.callId.empty()) continue;
    // A Call-ID we chose finds its leg alone (responses to our INVITE come before the peer's
    // tag is known, forks answer with other tags), in whichever slot the dialog is now.
    if (l.ourCallId) {
      out.push_back(TableKey{id, true, l.dialog.callId, {}});
    } else {
      out.push_back(TableKey{id, false, l.dialog.callId, l.dialog.remoteTag});
    }
  }
}

}  // namespace sipha::b2bua
