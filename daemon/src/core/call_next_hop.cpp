// The next hop of a call's requests and of the trunk probes (docs/calls.md, docs/dns.md): a
// registered phone's stream flow, a literal address, or a host name resolved (RFC 3263) by
// sipha::resolver without blocking the event loop; a call's requests wait in order for it.
#include <string>

#include "common/log/log.hpp"
#include "core/call_manager.hpp"
#include "sip/message_builder.hpp"
#include "sip/params.hpp"
#include "sip/parser.hpp"
#include "sip/text.hpp"
#include "transport/peer_format.hpp"

namespace sipha::core {
namespace {

using sip::HeaderLine;
using sip::Method;
using sip::text::iequals;

// The destination of a next-hop URI (RFC 3263 4.1/4.2 for literal addresses: the transport
// parameter, sips -> TLS, the default port of the transport). Host names: resolveName.
bool resolveNextHop(std::string_view uriText, std::string_view viaTransport,
                    transport::Peer& peer) {
  sip::Uri uri;
  if (!sip::parseUri(uriText, uri) || !uri.isSip()) return false;
  transport::TransportKind kind = transport::TransportKind::Udp;
  if (iequals(viaTransport, "TCP")) kind = transport::TransportKind::Tcp;
  if (iequals(viaTransport, "TLS")) kind = transport::TransportKind::Tls;
  if (const auto param = uri.paramList().find("transport")) {
    if (iequals(*param, "udp")) kind = transport::TransportKind::Udp;
    if (iequals(*param, "tcp")) kind = transport::TransportKind::Tcp;
    if (iequals(*param, "tls")) kind = transport::TransportKind::Tls;
  }
  if (uri.scheme == sip::UriScheme::Sips) kind = transport::TransportKind::Tls;
  const std::uint16_t port = uri.portOr(kind == transport::TransportKind::Tls ? 5061 : 5060);
  return transport::makePeer(kind, uri.hostAddress(), port, peer);
}

// A registered phone's flow over a stream transport ("tcp:1.2.3.4:5060#7", "tls:[::1]:5061#9",
// as formatPeer wrote it for the REGISTER): requests to the phone reuse its connection, the only
// way to reach a phone that does not accept connections (RFC 5626 3.3 motivates it). UDP flows
// are not used: the Contact is (no NAT traversal yet, docs/calls.md).
bool parseStreamFlow(std::string_view text, transport::Peer& peer) {
  return transport::parsePeer(text, peer) && peer.kind != transport::TransportKind::Udp;
}

// The peer to use from a resolution: the first whose transport is the Via's (the b2bua wrote
// the Via before the name was resolved), else the first, with the top Via's transport rewritten
// so the Via says what the request travels on (RFC 3261 18.1.1).
transport::Peer pickPeer(const resolver::ResolveResult& result, b2bua::Action& action,
                         const b2bua::CallConfig& config) {
  for (const auto& peer : result.peers) {
    if (iequals(transport::transportName(peer.kind), action.transport)) return peer;
  }
  const transport::Peer& peer = result.peers.front();
  const std::string_view to = transport::transportName(peer.kind);
  const std::string from = "SIP/2.0/" + action.transport + " " + config.viaSentBy(action.transport);
  const std::size_t at = action.bytes.find(from);
  if (at != std::string::npos) {
    // The sent-by names the port of the transport the request now travels on (18.1.1).
    action.bytes.replace(at, from.size(),
                         "SIP/2.0/" + std::string{to} + " " + config.viaSentBy(to));
    action.transport = std::string{to};
  }
  return peer;
}

}  // namespace

void CallManager::sendRequest(b2bua::Call* call, Slot& slot, b2bua::Action& action,
                              std::vector<b2bua::ClientRef>& failed) {
  // A request of a call never overtakes one of the same call that waits for DNS.
  if (!slot.pendingSends.empty()) {
    slot.pendingSends.push_back(std::move(action));
    return;
  }
  transport::Peer peer;
  if (!flowPeer(action, peer) && !resolveNextHop(action.nextHop, action.transport, peer)) {
    resolver::NextHopQuery query;
    switch (resolveName(action, peer, query)) {
      case HopState::Ready:
        break;
      case HopState::Pending:
        slot.pendingSends.push_back(std::move(action));
        waitForDns(call, slot, query);
        return;
      case HopState::Failed:
        ++counters_.unresolved;
        common::logDebug("calls: cannot resolve next hop ", action.nextHop);
        if (action.startsTransaction()) failed.push_back(action.clientRef());
        return;
    }
  }
  dispatchRequest(call, slot, action, peer, failed);
}

bool CallManager::flowPeer(const b2bua::Action& action, transport::Peer& peer) const {
  // A flow whose connection has closed is no way to the party any more: its Contact is (RFC
  // 5626 4.5 in spirit: the flow failed, the target is what the party advertised).
  return !action.flow.empty() && parseStreamFlow(action.flow, peer) &&
         sink_.connected(peer.connectionId);
}

CallManager::HopState CallManager::resolveName(b2bua::Action& action, transport::Peer& peer,
                                               resolver::NextHopQuery& query) {
  if (resolver_ == nullptr || !resolver::queryFromUri(action.nextHop, query)) {
    return HopState::Failed;
  }
  resolver::ResolveResult cached;
  if (!resolver_->tryCached(query, cached)) return HopState::Pending;
  if (!cached.ok()) {
    common::logDebug("calls: ", cached.describe());
    return HopState::Failed;
  }
  peer = pickPeer(cached, action, *callConfig_);
  return HopState::Ready;
}

void CallManager::waitForDns(b2bua::Call* call, Slot& slot, const resolver::NextHopQuery& query) {
  ++counters_.dnsWaits;
  const std::uint64_t serial = slot.serial;
  slot.pendingDns =
      resolver_->resolve(query, [this, call, serial](const resolver::ResolveResult& result) {
        onDnsAnswer(call, serial, result);
      });
}

// RFC 3263: the first queued request's next hop resolved (or not). Queued requests leave in
// order; one whose name is not cached waits again; a failure is reported to the call like a
// transaction that could not start (a timeout: the b2bua tries the next target or answers).
void CallManager::onDnsAnswer(b2bua::Call* call, std::uint64_t serial,
                              const resolver::ResolveResult& result) {
  Slot* slot = slotOf(call, serial);
  if (slot == nullptr) return;
  slot->pendingDns = resolver::kNoHandle;
  std::vector<b2bua::ClientRef> failed;
  const resolver::ResolveResult* answer = &result;  // for the first request only
  // Re-read the slot each time: a send can fail at once and end the call (onClientFailed).
  while ((slot = slotOf(call, serial)) != nullptr && !slot->pendingSends.empty()) {
    b2bua::Action& next = slot->pendingSends.front();
    transport::Peer peer;
    HopState state = HopState::Ready;
    resolver::NextHopQuery query;
    if (!flowPeer(next, peer) && !resolveNextHop(next.nextHop, next.transport, peer)) {
      if (answer != nullptr) {
        state = answer->ok() ? HopState::Ready : HopState::Failed;
        if (answer->ok()) peer = pickPeer(*answer, next, *callConfig_);
        if (!answer->ok()) common::logDebug("calls: ", answer->describe());
      } else {
        state = resolveName(next, peer, query);
      }
    }
    answer = nullptr;
    if (state == HopState::Pending) {
      waitForDns(call, *slot, query);
      break;
    }
    b2bua::Action action = std::move(next);
    slot->pendingSends.erase(slot->pendingSends.begin());
    if (state == HopState::Failed) {
      ++counters_.unresolved;
      if (action.startsTransaction()) failed.push_back(action.clientRef());
      continue;
    }
    dispatchRequest(call, *slot, action, peer, failed);
  }
  reportFailed(call, serial, failed);
}

void CallManager::reportFailed(b2bua::Call* call, std::uint64_t serial,
                               const std::vector<b2bua::ClientRef>& failed) {
  for (const auto& ref : failed) {
    if (slotOf(call, serial) == nullptr) break;
    OutputLease lease(*this);
    b2bua::Output& again = lease.out;
    call->onClientTimeout(ref, again);
    execute(call, again);
  }
}

void CallManager::dispatchRequest(b2bua::Call* call, Slot& slot, b2bua::Action& action,
                                  const transport::Peer& peer,
                                  std::vector<b2bua::ClientRef>& failed) {
  if (!action.startsTransaction()) {
    sink_.send(peer, action.bytes);  // ACK for a 2xx: no transaction (17)
    return;
  }
  transaction::OutgoingRequest request;
  request.method = action.method;
  request.branch = action.branch;
  request.destination = peer;
  const transaction::ClientStart start =
      transactions_.startClient(request, std::move(action.bytes));
  if (start.error != transaction::StartError::None || start.transaction == nullptr) {
    failed.push_back(action.clientRef());
    return;
  }
  ClientRecord record;
  record.call = call;
  record.serial = slot.serial;
  record.ref = action.clientRef();
  attach(*start.transaction, std::move(record));
}

void CallManager::sendProbe(const routing::ProbeRequest& probe) {
  // RFC 3261 11: an OPTIONS outside any dialog; any final answer proves the contact is up.
  transport::Peer peer;
  const routing::NextHop& hop = *probe.hop;
  const std::string_view host = (!hop.host.empty() && hop.host.front() == '[')
                                    ? std::string_view{hop.host}.substr(1, hop.host.size() - 2)
                                    : std::string_view{hop.host};
  if (transport::makePeer(hop.transport, host, hop.port, peer)) {
    sendProbeTo(probe.id, probe.probe, probe.requestUri, peer);
    return;
  }
  // A host name (RFC 3263): the contact as written decides the lookups.
  resolver::NextHopQuery query;
  query.host = std::string{host};
  query.port = hop.explicitPort ? hop.port : 0;
  query.secure = hop.sips;
  if (!hop.sips && sip::ParamList(hop.params).has("transport")) query.transport = hop.transport;
  resolver::ResolveResult cached;
  if (resolver_ == nullptr || (resolver_->tryCached(query, cached) && !cached.ok())) {
    ++counters_.unresolved;
    health_.probeFailed(probe.id, probe.probe);
    return;
  }
  if (cached.ok()) {
    sendProbeTo(probe.id, probe.probe, probe.requestUri, cached.peers.front());
    return;
  }
  // The request's views die with this call: keep copies for the answer.
  const std::uint64_t ticket = nextProbeTicket_++;
  probeDns_[ticket] = resolver_->resolve(
      query, [this, ticket, id = probe.id, number = probe.probe,
              uri = std::string{probe.requestUri}](const resolver::ResolveResult& result) {
        probeDns_.erase(ticket);
        if (!result.ok()) {
          ++counters_.unresolved;
          common::logDebug("calls: probe: ", result.describe());
          health_.probeFailed(id, number);
          return;
        }
        sendProbeTo(id, number, uri, result.peers.front());
      });
}

void CallManager::sendProbeTo(routing::HealthId id, std::uint64_t number,
                              std::string_view requestUri, const transport::Peer& peer) {
  ++counters_.probesSent;
  const std::string branch = ids_.branch();
  const std::string_view transport = transport::transportName(peer.kind);
  const std::string via = "SIP/2.0/" + std::string{transport} + " " +
                          callConfig_->viaSentBy(transport) + ";branch=" + branch;
  const std::string to = "<" + std::string{requestUri} + ">";
  const std::string from = "<sip:sipd@" + registrarHost_ + ">;tag=" + ids_.tag();
  const std::string callId = ids_.callId();
  const HeaderLine headers[] = {{"Via", via},
                                {"Max-Forwards", "70"},
                                {"To", to},
                                {"From", from},
                                {"Call-ID", callId},
                                {"CSeq", "1 OPTIONS"},
                                {"Contact", callConfig_->contact(transport, false)}};
  sip::RequestSpec spec;
  spec.method = Method::Options;
  spec.requestUri = requestUri;
  spec.headers = headers;
  transaction::OutgoingRequest request;
  request.method = Method::Options;
  request.branch = branch;
  request.destination = peer;
  const transaction::ClientStart start =
      transactions_.startClient(request, sip::buildRequest(spec));
  if (start.error != transaction::StartError::None || start.transaction == nullptr) {
    health_.probeFailed(id, number);
    return;
  }
  ClientRecord record;
  record.kind = ClientKind::Probe;
  record.health = id;
  record.probe = number;
  attach(*start.transaction, std::move(record));
}

}  // namespace sipha::core
