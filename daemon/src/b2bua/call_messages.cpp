// Call: building and sending the messages of each leg (RFC 3261 9.1, 12.2.1.1, 13.2.2.4, 8.2.6).
#include <algorithm>
#include <charconv>

#include "b2bua/call.hpp"
#include "b2bua/relay.hpp"
#include "sip/header_id.hpp"
#include "sip/message_builder.hpp"

namespace sipha::b2bua {
namespace {

// RFC 3261 12.1.1 / 13.3.1.4 / RFC 3311 / RFC 6665: responses that carry our Contact.
bool responseNeedsContact(sip::Method method, std::uint16_t status) noexcept {
  if (status <= 100 || status >= 300) return false;
  switch (method) {
    case sip::Method::Invite:
      return true;
    case sip::Method::Update:
    case sip::Method::Subscribe:
    case sip::Method::Refer:
      return status >= 200;
    default:
      return false;
  }
}

// Requests that carry our Contact (target refresh and dialog-creating requests).
bool requestNeedsContact(sip::Method method) noexcept {
  switch (method) {
    case sip::Method::Invite:
    case sip::Method::Update:
    case sip::Method::Subscribe:
    case sip::Method::Notify:
    case sip::Method::Refer:
      return true;
    default:
      return false;
  }
}

}  // namespace

// "application/sdp", case-insensitive, parameters allowed (RFC 3261 20.15).
bool isSdpType(std::string_view contentType) noexcept {
  constexpr std::string_view kSdp = "application/sdp";
  if (contentType.size() < kSdp.size()) return false;
  for (std::size_t i = 0; i < kSdp.size(); ++i) {
    char c = contentType[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != kSdp[i]) return false;
  }
  std::string_view rest = contentType.substr(kSdp.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ' || rest.front() == '\t';
}

namespace {

std::string uintText(std::uint32_t value) {
  char buffer[16];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// RFC 3262 7.2: "RAck: rseq cseq method"; the CSeq number is the leg's own INVITE's.
std::string rewriteRack(std::string_view rack, std::uint32_t inviteCseq) {
  std::size_t space = rack.find(' ');
  if (space == std::string_view::npos) return std::string(rack);
  std::string out(rack.substr(0, space));
  out.push_back(' ');
  out.append(uintText(inviteCseq));
  out.append(" INVITE");
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Building and sending

std::string Call::relayBody(LegId from, LegId to, const sip::Message& message, sip::Method method) {
  return transformBody(from, to, message.body(), message.header(sip::HeaderId::ContentType), method,
                       message.isResponse() ? message.statusCode() : 0);
}

std::string Call::transformBody(LegId from, LegId to, std::string_view body,
                                std::string_view contentType, sip::Method method,
                                std::uint16_t status, bool freshOffer) {
  if (body.empty()) return {};
  noteReceivedBody(from, body, contentType);
  std::string result;
  if (transform_) {
    BodyContext context;
    context.from = from;
    context.to = to;
    context.method = method;
    context.status = status;
    context.contentType = contentType;
    context.freshOffer = freshOffer;
    result = transform_->transform(context, body);
  } else {
    result.assign(body);
  }
  leg(to).dialog.localSdp = result;
  markDirty(from);
  markDirty(to);
  return result;
}

const std::string& Call::contactOf(const Dialog& dialog) const noexcept {
  return config_.contact(dialog.transport,
                         dialog.secure || dialog.remoteTarget.starts_with("sips:"));
}

void Call::noteReceivedBody(LegId on, std::string_view body, std::string_view contentType) {
  Leg& l = leg(on);
  if (isSdpType(contentType)) {
    l.sessionInRemote = true;
  } else if (l.sessionInRemote) {
    l.sessionSdp.swap(l.dialog.remoteSdp);  // an INFO/NOTIFY body must not hide the session
    l.sessionInRemote = false;
  }
  l.dialog.remoteSdp.assign(body);
}

std::string_view Call::sessionOf(LegId on) const noexcept {
  const Leg& l = leg(on);
  return l.sessionInRemote ? std::string_view(l.dialog.remoteSdp) : std::string_view(l.sessionSdp);
}

void Call::respond(LegId on, const sip::Message& request, ServerRef server, std::uint16_t status,
                   std::string_view reason, const sip::Message* relayed, Output& out,
                   std::string* keep, bool withBody) {
  std::vector<sip::HeaderLine> lines;
  // 12.1.1: a response that can establish a dialog (101-299 to an INVITE without To tag)
  // copies every Record-Route value of the request, in order, so the caller's proxies stay in
  // the path of its ACK and BYE.
  if (request.method() == sip::Method::Invite && request.to().tag.empty() && status > 100 &&
      status < 300) {
    for (const sip::HeaderField& field : request.headers()) {
      if (field.id == sip::HeaderId::RecordRoute) lines.push_back({"Record-Route", field.value});
    }
  }
  if (relayed) collectRelayedHeaders(*relayed, lines);
  if (responseNeedsContact(request.method(), status)) {
    lines.push_back({"Contact", contactOf(leg(on).dialog)});
  }
  std::string body;
  std::string_view contentType;
  if (relayed && withBody && !relayed->body().empty()) {
    body = relayBody(otherLeg(on), on, *relayed, request.method());
    contentType = relayed->header(sip::HeaderId::ContentType);
  }
  sip::ResponseSpec spec;
  spec.status = status;
  spec.reason = reason;
  if (status > 100) spec.toTag = leg(on).dialog.localTag;  // 8.2.6.2
  spec.headers = lines;
  spec.contentType = contentType;
  spec.body = body;
  std::string bytes = sip::buildResponse(request, spec);
  if (keep) *keep = bytes;
  emitResponse(on, server, std::move(bytes), status, out);
}

void Call::emitResponse(LegId on, ServerRef server, std::string bytes, std::uint16_t status,
                        Output& out) {
  Action a;
  a.kind = ActionKind::SendResponse;
  a.leg = on;
  a.bytes = std::move(bytes);
  a.server = server;
  a.status = status;
  out.actions.push_back(std::move(a));
}

Call::PendingClient* Call::sendRequest(LegId on, sip::Method method, const sip::Message* source,
                                       ClientKind kind, std::uint32_t serverId, Output& out,
                                       std::string_view nextHopOverride, const OwnContent* own) {
  Leg& l = leg(on);
  std::vector<sip::HeaderLine> lines;
  std::string rack;
  std::string body;
  std::string_view contentType;
  std::uint32_t maxForwards = config_.defaultMaxForwards;
  if (source) {
    collectRelayedHeaders(*source, lines);
    if (source->maxForwards())
      maxForwards = *source->maxForwards() ? *source->maxForwards() - 1 : 0;
    if (method == sip::Method::Prack && source->has(sip::HeaderId::RAck)) {
      rack = rewriteRack(source->header(sip::HeaderId::RAck), attemptCseqFor(on));
      lines.push_back({"RAck", rack});
    }
    if (!source->body().empty()) {
      body = relayBody(otherLeg(on), on, *source, method);
      contentType = source->header(sip::HeaderId::ContentType);
    }
  }
  if (own) {
    lines.insert(lines.end(), own->headers.begin(), own->headers.end());
    if (!source) {  // with a source, `own` adds headers only (its body is relayed)
      body.assign(own->body);
      contentType = own->contentType;
    }
  }
  std::string branch = ids_.branch();
  InDialogRequest spec;
  spec.method = method;
  if (source && method == source->method()) spec.methodText = source->methodText();
  spec.branch = branch;
  spec.viaSentBy = config_.viaSentBy(l.dialog.transport);
  spec.maxForwards = maxForwards;
  if (requestNeedsContact(method)) spec.contact = contactOf(l.dialog);
  spec.headers = lines;
  spec.contentType = contentType;
  spec.body = body;
  BuiltRequest built = buildInDialogRequest(l.dialog, spec);
  markDirty(on);

  Action a;
  a.kind = ActionKind::SendRequest;
  a.leg = on;
  a.bytes = std::move(built.bytes);
  a.method = method;
  a.cseq = built.cseq;
  a.branch = branch;
  a.nextHop = nextHopOverride.empty() ? built.nextHop : std::string(nextHopOverride);
  a.transport = l.dialog.transport;
  a.flow = l.flow;

  PendingClient client;
  client.kind = kind;
  client.method = method;
  client.cseq = built.cseq;
  client.serverId = serverId;
  client.branch = std::move(branch);
  client.requestUri = std::move(built.requestUri);
  client.nextHop = a.nextHop;
  client.to = std::move(built.to);
  client.routes = std::move(built.routes);
  client.hasOffer = !spec.body.empty();
  out.actions.push_back(std::move(a));
  l.clients.push_back(std::move(client));
  return &l.clients.back();
}

// The CSeq of the INVITE a PRACK on `on` acknowledges a provisional of (RFC 3262 7.2).
std::uint32_t Call::attemptCseqFor(LegId on) const noexcept {
  const Leg& l = leg(on);
  if (on == LegId::Outbound && forking_) return attemptCseq_;  // the selected branch's INVITE
  for (auto it = l.clients.rbegin(); it != l.clients.rend(); ++it) {
    if (it->method == sip::Method::Invite) return it->cseq;
  }
  return attemptCseq_;
}

void Call::sendAck(LegId on, std::uint32_t cseq, const sip::Message* source, Output& out) {
  Leg& l = leg(on);
  std::string body;
  std::string_view contentType;
  if (source && !source->body().empty()) {
    body = relayBody(otherLeg(on), on, *source, sip::Method::Ack);
    contentType = source->header(sip::HeaderId::ContentType);
  }
  std::string branch = ids_.branch();
  InDialogRequest spec;
  spec.method = sip::Method::Ack;
  spec.branch = branch;
  spec.viaSentBy = config_.viaSentBy(l.dialog.transport);
  spec.maxForwards = config_.defaultMaxForwards;
  spec.cseq = cseq;  // 13.2.2.4: the INVITE's number
  spec.contentType = contentType;
  spec.body = body;
  BuiltRequest built = buildInDialogRequest(l.dialog, spec);
  l.lastAck = built.bytes;
  l.lastAckCseq = cseq;
  l.lastAckNextHop = built.nextHop;
  Action a;
  a.kind = ActionKind::SendRequest;
  a.leg = on;
  a.bytes = std::move(built.bytes);
  a.method = sip::Method::Ack;
  a.cseq = cseq;
  a.branch = std::move(branch);
  a.nextHop = std::move(built.nextHop);
  a.transport = l.dialog.transport;
  a.flow = l.flow;
  out.actions.push_back(std::move(a));
}

// 9.1: same Request-URI, Call-ID, From, To, CSeq number, Route and top Via branch as the request.
void Call::sendCancel(LegId on, PendingClient& client, Output& out) {
  client.cancelSent = true;
  const Dialog& d = leg(on).dialog;
  // A forked branch's INVITE went out on its own target's transport and flow; so does its CANCEL.
  const Branch* branch =
      on == LegId::Outbound && client.kind == ClientKind::Initial ? branchOf(client.cseq) : nullptr;
  const Target* target = branch ? &targets_[branch->target] : nullptr;
  const std::string& transport = target ? target->transport : d.transport;
  std::string via = "SIP/2.0/" + transport + " " + config_.viaSentBy(transport) +
                    ";branch=" + client.branch + ";rport";
  std::string from = d.localUri + ";tag=" + d.localTag;
  std::string cseq = uintText(client.cseq) + " CANCEL";
  std::string maxForwards = uintText(config_.defaultMaxForwards);
  std::vector<sip::HeaderLine> lines;
  lines.reserve(7 + client.routes.size());
  lines.push_back({"Via", via});
  lines.push_back({"Max-Forwards", maxForwards});
  for (const std::string& route : client.routes) lines.push_back({"Route", route});
  lines.push_back({"From", from});
  lines.push_back({"To", client.to});
  lines.push_back({"Call-ID", d.callId});
  lines.push_back({"CSeq", cseq});
  if (client.completedElsewhere) {
    // RFC 3326 / RFC 3261 16.7 step 10 in spirit: another branch answered.
    lines.push_back({"Reason", "SIP;cause=200;text=\"Call completed elsewhere\""});
  }
  sip::RequestSpec spec;
  spec.method = sip::Method::Cancel;
  spec.requestUri = client.requestUri;
  spec.headers = lines;
  Action a;
  a.kind = ActionKind::SendRequest;
  a.leg = on;
  a.bytes = sip::buildRequest(spec);
  a.method = sip::Method::Cancel;
  a.cseq = client.cseq;
  a.branch = client.branch;
  a.nextHop = client.nextHop;
  a.transport = transport;
  a.flow = target ? target->flow : leg(on).flow;
  // Not tracked: its 200 and its timeout change nothing (the INVITE's final response does).
  out.actions.push_back(std::move(a));
}

// A 2xx nobody wants (another fork, a cancelled attempt, an ended call): ACK it and end that
// dialog with BYE (13.2.2.4, 15). Fire and forget: neither is tracked.
void Call::ackAndByeStray(const sip::Message& response, Output& out, LegId on) {
  const Dialog& base = leg(on).dialog;
  // A forked branch's answer goes back the way its INVITE went (its target's transport, flow).
  const Branch* branch = on == LegId::Outbound ? branchOf(response.cseq().number) : nullptr;
  const Target* target = branch ? &targets_[branch->target] : nullptr;
  Dialog stray;
  stray.callId = base.callId;
  stray.localTag = base.localTag;
  stray.localUri = base.localUri;
  stray.remoteUri = nameAddrWithoutTag(response.to());
  stray.transport = target ? target->transport : base.transport;
  stray.localCseq = response.cseq().number;
  if (applyUacResponse(response, stray) != DialogError::None) return;
  for (sip::Method method : {sip::Method::Ack, sip::Method::Bye}) {
    std::string branch = ids_.branch();
    InDialogRequest spec;
    spec.method = method;
    spec.branch = branch;
    spec.viaSentBy = config_.viaSentBy(stray.transport);
    spec.maxForwards = config_.defaultMaxForwards;
    if (method == sip::Method::Ack) spec.cseq = response.cseq().number;
    BuiltRequest built = buildInDialogRequest(stray, spec);
    Action a;
    a.kind = ActionKind::SendRequest;
    a.leg = on;
    a.bytes = std::move(built.bytes);
    a.method = method;
    a.cseq = built.cseq;
    a.branch = std::move(branch);
    a.nextHop = std::move(built.nextHop);
    a.transport = stray.transport;
    a.flow = target ? target->flow : leg(on).flow;
    out.actions.push_back(std::move(a));
  }
}

}  // namespace sipha::b2bua
