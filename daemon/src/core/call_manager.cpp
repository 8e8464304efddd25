#include "core/call_manager.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <span>

#include "common/log/log.hpp"
#include "sip/message_builder.hpp"
#include "sip/name_addr.hpp"
#include "sip/params.hpp"
#include "sip/parser.hpp"
#include "sip/text.hpp"
#include "transport/peer_format.hpp"

namespace sipha::core {
namespace {

using b2bua::ActionKind;
using sip::HeaderLine;
using sip::Method;
using sip::text::iequals;

// A bound on the calls a peer can make sipd hold (each call owns two dialogs and messages).
constexpr std::size_t kMaxCalls = 65536;

void* refToUserData(std::uint64_t id) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
}
std::uint64_t userDataToRef(const void* data) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(data));
}

b2bua::TransferPolicy toPolicy(const routing::TransferOptions& options) {
  b2bua::TransferPolicy policy;
  policy.referEnabled = options.referEnabled;
  policy.blindTransferEnabled = options.blindTransferEnabled;
  return policy;
}

std::string_view reasonFor(int status) {
  switch (status) {
    case 404:
      return "Not Found";
    case 480:
      return "Temporarily Unavailable";
    case 482:
      return "Loop Detected";
    case 503:
      return "Service Unavailable";
    default:
      return "Server Internal Error";
  }
}

// The Replaces header of a Refer-To URI (RFC 3891 / RFC 3515 2.1: "?Replaces=..." with %HH
// escapes), decoded into `buffer`; empty when absent or malformed.
std::string_view replacesHeader(std::string_view headers, std::span<char> buffer) {
  while (!headers.empty()) {
    const std::size_t amp = headers.find('&');
    const std::string_view item = headers.substr(0, amp);
    const std::size_t equals = item.find('=');
    if (equals != std::string_view::npos && iequals(item.substr(0, equals), "Replaces")) {
      const sip::Unescaped value = sip::unescape(item.substr(equals + 1), buffer);
      return value.ok ? value.value : std::string_view{};
    }
    if (amp == std::string_view::npos) break;
    headers.remove_prefix(amp + 1);
  }
  return {};
}

// Whether `flow` (transport::formatPeer text, "tcp:1.2.3.4:5060#7") names stream connection
// `id` (ids are never reused within a process).
bool isConnection(std::string_view flow, std::uint64_t id) {
  transport::Peer peer;
  return transport::parsePeer(flow, peer) && peer.connectionId == id;
}

}  // namespace

CallManager::CallManager(timer::TimerWheel& wheel, transaction::TransactionLayer& transactions,
                         transaction::TransportSink& sink, CoreCounters& coreCounters,
                         NowSeconds now, RegistrarSource registrar)
    : wheel_(wheel),
      transactions_(transactions),
      sink_(sink),
      coreCounters_(coreCounters),
      now_(std::move(now)),
      registrar_(std::move(registrar)),
      callConfig_(std::make_unique<b2bua::CallConfig>()),
      table_(kMaxCalls),
      health_(
          wheel, [this](const routing::ProbeRequest& probe) { sendProbe(probe); },
          [this](const routing::HealthEvent& event) {
            publishTrunk(event);
            // Logged once, here, where the state changes (docs/error-policy.md).
            if (event.reason == routing::HealthReason::Configured) {
              common::logInfo("trunk ", event.dn, " contact ", event.contact, " ",
                              routing::stateName(event.state));
            } else {
              common::logNotice("trunk ", event.dn, " contact ", event.contact, " ",
                                routing::stateName(event.state), " (",
                                routing::reasonName(event.reason), ")");
            }
          }) {}

CallManager::~CallManager() {
  for (auto& [call, slot] : slots_) releaseSlot(slot);
  if (resolver_ != nullptr) {
    for (const auto& [ticket, handle] : probeDns_) resolver_->cancel(handle);
  }
}

void CallManager::configure(const common::Config& config) {
  const auto& tserver = config.tserver;
  const std::string& address =
      tserver.sipAddress.empty() ? tserver.sipInterface : tserver.sipAddress;
  const bool ipv6 = address.find(':') != std::string::npos && address.front() != '[';
  const std::string host = ipv6 ? "[" + address + "]" : address;
  registrarHost_ = host;
  callConfig_->setLocal(host, tserver.sipPort, tserver.sipPortTls);
  callConfig_->t1 = b2bua::Duration{tserver.timerT1Ms};
  callConfig_->t2 = b2bua::Duration{tserver.timerT2Ms};
  holdRfc3264_ = tserver.sipHoldRfc3264;

  std::vector<routing::BuildError> errors;
  routing::RoutingTable next = routing::RoutingTable::build(config, errors);
  for (const auto& error : errors) {
    common::logWarning("routing: DN ", error.dn, " option ", error.option, ": ", error.reason,
                       " (left out)");
  }
  next.takeCursorsFrom(routes_);
  routes_ = std::move(next);
  transfers_ = routing::TransferPolicies::build(config);
  health_.reconcile(routes_.monitoredContacts());
}

CallManager::RequestResult CallManager::onRequest(std::unique_ptr<sip::Message>& request,
                                                  transaction::ServerTransaction& server,
                                                  const transport::Peer& from) {
  const b2bua::CallTable::Match match = table_.find(*request);
  if (match.call != nullptr && request->method() == Method::Invite && request->to().tag.empty() &&
      request->from().tag == match.call->dialog(match.leg).localTag) {
    // An INVITE of ours came back (Call-ID and From tag are ours, no To tag): a routing loop, for
    // example a softswitch routing the number back to sipd. RFC 3261 8.2.2.2 (a merged request).
    ++counters_.loops;
    return RequestResult::Loop;
  }
  if (match.call != nullptr) {
    if (!acceptTransport(*match.call, match.leg, from)) return RequestResult::WrongTransport;
    OutputLease lease(*this);
    b2bua::Output& out = lease.out;
    match.call->onRequest(match.leg, std::move(request), serverRef(server), out);
    execute(match.call, out);
    return RequestResult::Handled;
  }
  if (request->method() == Method::Invite && request->to().tag.empty()) {
    if (table_.full()) {
      ++counters_.rejectedFull;
      return RequestResult::Full;
    }
    startCall(request, server, from);
    return RequestResult::Handled;
  }
  if (!request->to().tag.empty() || request->method() == Method::Cancel) ++counters_.unmatched;
  return RequestResult::NotMine;
}

void CallManager::startCall(std::unique_ptr<sip::Message>& invite,
                            transaction::ServerTransaction& server, const transport::Peer& from) {
  ++counters_.started;
  b2bua::RouteDecision decision;
  std::vector<routing::HealthId> health;
  // RFC 3891: an INVITE that replaces a dialog of ours (a transferee completing an attended
  // transfer that was relayed to it) goes to the other party of that dialog, not by routing.
  const std::string replaces{invite->header(sip::HeaderId::Replaces)};
  if (replaces.empty()) route(invite->requestUri(), decision, health);

  b2bua::InboundContext context;
  context.server = serverRef(server);
  context.transport = std::string{transport::transportName(from.kind)};
  context.overTls = from.kind == transport::TransportKind::Tls;
  if (transport::isReliable(from.kind)) context.flow = transport::formatPeer(from);
  // The DN the caller is known as decides transfers toward it (docs/b2bua.md "Transfers").
  sip::Uri fromUri;
  const std::string_view fromUser =
      invite->from().parsedUri(fromUri) ? fromUri.user : std::string_view{};
  context.transfer = toPolicy(transfers_.ofCaller(fromUser, transport::formatHost(from.address),
                                                  transport::addressPort(from.address)));

  auto bodies = std::make_unique<SdpBodyTransform>(holdRfc3264_, counters_.sdpErrors);
  auto owned = std::make_unique<b2bua::Call>(*callConfig_, ids_, bodies.get());
  b2bua::Call* call = owned.get();
  Slot& slot = addSlot(call, std::move(bodies));
  if (log_ != nullptr) slot.source = transport::formatPeer(from);
  slot.targets = std::move(health);
  if (!replaces.empty()) {
    attendedTarget(call, slot, replaces, decision);  // 481 when it names no dialog of ours
    slot.replaced = nullptr;  // the replaced party ends its old dialog itself (RFC 3891 3)
  }
  OutputLease lease(*this);
  b2bua::Output& out = lease.out;
  call->start(std::move(invite), context, std::move(decision), out);
  if (!call->ended() && table_.insert(std::move(owned)) == nullptr) {
    common::logWarning("calls: a started call collides with a live one; dropped");
  }
  execute(call, out);
  // `owned` still holds a call that ended at once (404, 480 ...): it goes with this scope.
}

void CallManager::route(const sip::Uri& uri, b2bua::RouteDecision& decision,
                        std::vector<routing::HealthId>& health) {
  const std::string_view host = uri.host;
  const std::int64_t now = now_();
  const routing::BindingLookup lookup = [this, host, now](std::string_view extension) {
    std::vector<registrar::Binding> bindings;
    const registrar::Registrar* registrar = registrar_();
    if (registrar == nullptr) return bindings;
    bindings = registrar->bindingsOf(extension, host, now);
    if (bindings.empty() && !iequals(host, registrarHost_)) {
      bindings = registrar->bindingsOf(extension, registrarHost_, now);
    }
    return bindings;
  };
  routes_.route(uri.user, lookup, &health_, plan_);
  if (!plan_.routed()) {
    decision.failureStatus = static_cast<std::uint16_t>(plan_.status);
    decision.failureReason = std::string{reasonFor(plan_.status)};
    return;
  }
  // Attempts of one group (equal q-values) are forked in parallel, groups tried in the plan's
  // order; registered contacts hunt on any failure below 600 (docs/b2bua.md "Forking").
  decision.targets.reserve(plan_.attempts.size());
  for (const auto& attempt : plan_.attempts) {
    b2bua::Target target;
    target.requestUri = attempt.requestUri;
    target.nextHop = routing::requestUri(attempt.hop, {});
    target.transport = std::string{transport::transportName(attempt.hop.transport)};
    target.noAnswerTimeout = b2bua::Duration{attempt.timeout.count()};
    target.flow = attempt.flow;
    target.group = attempt.group;
    target.huntOnFailure = attempt.kind == routing::AttemptKind::Registered;
    target.transfer = toPolicy(transfers_.ofDn(attempt.dn));
    decision.targets.push_back(std::move(target));
    health.push_back(attempt.health);
  }
}

// A transfer sipd performs (b2bua RouteTransfer): the Refer-To URI is routed like a new call's
// Request-URI and the decision goes back to the call.
void CallManager::routeTransfer(b2bua::Call* call, std::uint64_t serial,
                                const std::string& referTo) {
  Slot* slot = slotOf(call, serial);
  if (slot == nullptr) return;
  ++counters_.transfers;
  b2bua::RouteDecision decision;
  std::vector<routing::HealthId> health;
  slot->replaced = nullptr;
  sip::Uri uri;
  std::array<char, 512> buffer;
  if (!sip::parseUri(referTo, uri) || !uri.isSip()) {
    decision.failureStatus = 416;  // RFC 3261 21.4.12: not a SIP URI we can route
    decision.failureReason = "Unsupported URI Scheme";
  } else if (const std::string_view replaces = replacesHeader(uri.headers, buffer);
             !replaces.empty()) {
    attendedTarget(call, *slot, replaces, decision);
  } else {
    route(uri, decision, health);
  }
  slot->transferTargets = std::move(health);
  OutputLease lease(*this);
  b2bua::Output& out = lease.out;
  call->onTransferRoute(std::move(decision), out);
  execute(call, out);
}

void CallManager::attendedTarget(b2bua::Call* call, Slot& slot, std::string_view replaces,
                                 b2bua::RouteDecision& decision) {
  // RFC 3891 3: "callid;to-tag=...;from-tag=..." as the transferor holds its dialog with us: its
  // to-tag is our tag on that leg, its from-tag the transferor's.
  decision.failureStatus = 481;
  decision.failureReason = "Call/Transaction Does Not Exist";
  const std::size_t semicolon = replaces.find(';');
  if (semicolon == std::string_view::npos) return;
  const sip::ParamList params(replaces.substr(semicolon + 1));
  const auto toTag = params.find("to-tag");
  const auto fromTag = params.find("from-tag");
  if (!toTag || !fromTag) return;
  const b2bua::CallTable::Match named =
      table_.findDialog(replaces.substr(0, semicolon), *toTag, *fromTag);
  if (named.call == nullptr || named.call == call || named.leg == b2bua::LegId::Transfer ||
      named.call->state() != b2bua::CallState::Confirmed) {
    return;
  }
  const b2bua::LegId other = b2bua::otherLeg(named.leg);
  const b2bua::Dialog& c = named.call->dialog(other);
  if (c.remoteTag.empty() || c.remoteTarget.empty()) return;
  b2bua::Target target;
  target.requestUri = c.remoteTarget;
  if (!c.routeSet.empty()) {
    // Only the first hop of the target's route set is kept (docs/b2bua.md "Transfers").
    sip::NameAddr first;
    if (sip::parseNameAddr(c.routeSet.front(), first)) target.nextHop = std::string{first.uri};
  }
  target.transport = c.transport;
  target.flow = named.call->flow(other);
  // For the target to find its own dialog: its tag is our remote tag there (RFC 3891 3).
  target.replaces = c.callId + ";to-tag=" + c.remoteTag + ";from-tag=" + c.localTag;
  decision.targets.push_back(std::move(target));
  const auto found = slots_.find(named.call);
  if (found != slots_.end()) {
    slot.replaced = named.call;
    slot.replacedSerial = found->second.serial;
  }
}

void CallManager::endReplaced(b2bua::Call* call, std::uint64_t serial) {
  Slot* slot = slotOf(call, serial);
  if (slot == nullptr || slot->replaced == nullptr) return;
  b2bua::Call* replaced = slot->replaced;
  const std::uint64_t replacedSerial = slot->replacedSerial;
  slot->replaced = nullptr;
  if (slotOf(replaced, replacedSerial) == nullptr) return;  // ended meanwhile
  OutputLease lease(*this);
  b2bua::Output& out = lease.out;
  replaced->terminate(out);  // its target now talks on the transfer's call
  execute(replaced, out);
}

std::uint64_t CallManager::serverRef(transaction::ServerTransaction& server) {
  if (server.userData() != nullptr) return userDataToRef(server.userData());
  const std::uint64_t id = nextRef_++;
  server.setUserData(refToUserData(id));
  servers_.emplace(id, &server);
  return id;
}

bool CallManager::acceptTransport(b2bua::Call& call, b2bua::LegId leg,
                                  const transport::Peer& from) {
  // A dialog set up over TLS stays on TLS: a request of it over UDP or TCP could be anyone's
  // on the path (RFC 3261 26.2, 26.3.1). Refused and counted.
  if (iequals(call.dialog(leg).transport, "TLS") && from.kind != transport::TransportKind::Tls) {
    ++counters_.wrongTransport;
    return false;
  }
  // The party's newest connection is its flow (a phone that reconnected). Almost always it is
  // the same connection: compared by id, so no text is formatted per request.
  if (transport::isReliable(from.kind) && !isConnection(call.flow(leg), from.connectionId)) {
    call.setFlow(leg, transport::formatPeer(from));
  }
  return true;
}

void CallManager::onAck(std::unique_ptr<sip::Message>& ack, const transport::Peer& from) {
  const b2bua::CallTable::Match match = table_.find(*ack);
  if (match.call == nullptr) {
    ++counters_.unmatched;
    return;
  }
  if (!acceptTransport(*match.call, match.leg, from)) return;  // an ACK is never answered
  OutputLease lease(*this);
  b2bua::Output& out = lease.out;
  match.call->onRequest(match.leg, std::move(ack), 0, out);
  execute(match.call, out);
}

bool CallManager::onResponse(const sip::Message& response, transaction::ClientTransaction* client) {
  if (client != nullptr) {
    if (ClientRecord* record = recordOf(*client); record && record->kind == ClientKind::Probe) {
      if (response.statusCode() >= 200) health_.probeAnswered(record->health, record->probe);
      return true;
    }
  }
  const b2bua::CallTable::Match match = table_.find(response);
  if (match.call == nullptr) return false;
  const auto found = slots_.find(match.call);
  Slot* slot = found == slots_.end() ? nullptr : &found->second;
  const std::uint16_t status = response.statusCode();
  if (slot != nullptr && response.cseq().method == Method::Invite && status >= 200 &&
      status < 300) {
    // An answer from a trunk proves it is up (failures come as TargetFailed).
    const b2bua::CallState state = match.call->state();
    const bool ringing = state == b2bua::CallState::Routing || state == b2bua::CallState::Early;
    if (match.leg == b2bua::LegId::Outbound && ringing) {
      // The initial INVITE's answer (a re-INVITE's 2xx may come from a transfer target now).
      const std::size_t index = match.call->targetIndexFor(response.cseq().number);
      if (index < slot->targets.size()) health_.callResult(slot->targets[index], status);
    } else if (match.leg == b2bua::LegId::Transfer && match.call->transferring()) {
      const std::size_t index = match.call->transferTargetIndex();
      if (index < slot->transferTargets.size()) {
        health_.callResult(slot->transferTargets[index], status);
      }
    }
  }
  OutputLease lease(*this);
  b2bua::Output& out = lease.out;
  match.call->onResponse(match.leg, response, out);
  execute(match.call, out);
  return true;
}

CallManager::Slot& CallManager::addSlot(const b2bua::Call* call,
                                        std::unique_ptr<SdpBodyTransform> bodies) {
  Slot& slot = slots_[call];
  slot.serial = nextSerial_++;
  slot.started = wheel_.clock().now();
  slot.bodies = std::move(bodies);
  return slot;
}

void CallManager::releaseSlot(Slot& slot) noexcept {
  for (auto& byLeg : slot.timers) {
    for (auto& handle : byLeg) wheel_.cancel(handle);
  }
  // No DNS answer to a call that is gone; its queued requests go with it.
  if (resolver_ != nullptr) resolver_->cancel(slot.pendingDns);
}

CallManager::Slot* CallManager::slotOf(const b2bua::Call* call, std::uint64_t serial) {
  auto found = slots_.find(call);
  if (found == slots_.end() || found->second.serial != serial) return nullptr;
  return &found->second;
}

std::uint64_t CallManager::attach(transaction::ClientTransaction& client, ClientRecord record) {
  const std::uint64_t id = nextRef_++;
  clients_.emplace(id, std::move(record));
  client.setUserData(refToUserData(id));
  return id;
}

CallManager::ClientRecord* CallManager::recordOf(const transaction::Transaction& transaction) {
  if (transaction.userData() == nullptr) return nullptr;
  auto found = clients_.find(userDataToRef(transaction.userData()));
  return found == clients_.end() ? nullptr : &found->second;
}

std::string CallManager::buildAck(const transaction::ClientTransaction& client,
                                  const sip::Message& response) {
  // RFC 3261 17.1.1.3: the ACK for a non-2xx final copies Request-URI, Call-ID, From, the top
  // Via and the Route headers of the INVITE; To is the response's (with its tag).
  // The INVITE's bytes are the transaction's own: parsed (one copy) only for this rare case.
  if (recordOf(client) == nullptr || !client.isInvite()) return {};
  sip::ParseResult parsed = sip::parseMessage(std::string{client.requestBytes()});
  if (!parsed.ok()) return {};
  const sip::Message& invite = *parsed.message;
  std::string cseq = std::to_string(invite.cseq().number) + " ACK";
  std::vector<HeaderLine> headers;
  headers.push_back({"Via", invite.header(sip::HeaderId::Via)});
  headers.push_back({"Max-Forwards", "70"});
  headers.push_back({"From", invite.fromText()});
  headers.push_back({"To", response.toText()});
  headers.push_back({"Call-ID", invite.callId()});
  headers.push_back({"CSeq", cseq});
  for (const std::string_view route : invite.values(sip::HeaderId::Route)) {
    headers.push_back({"Route", route});
  }
  sip::RequestSpec spec;
  spec.method = Method::Ack;
  spec.requestUri = invite.requestUriText();
  spec.headers = headers;
  return sip::buildRequest(spec);
}

void CallManager::onClientFailed(transaction::ClientTransaction& client) {
  ClientRecord* record = recordOf(client);
  if (record == nullptr) return;
  if (record->kind == ClientKind::Probe) {
    health_.probeFailed(record->health, record->probe);
    return;
  }
  b2bua::Call* call = record->call;
  if (slotOf(call, record->serial) == nullptr) return;
  const b2bua::ClientRef ref = record->ref;
  OutputLease lease(*this);
  b2bua::Output& out = lease.out;
  call->onClientTimeout(ref, out);
  execute(call, out);
}

void CallManager::onTerminated(transaction::Transaction& transaction) {
  if (transaction.userData() == nullptr) return;
  const std::uint64_t id = userDataToRef(transaction.userData());
  servers_.erase(id);
  clients_.erase(id);
}

}  // namespace sipha::core
