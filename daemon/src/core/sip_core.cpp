#include "core/sip_core.hpp"
#include "core/transaction_view.hpp"

#include <random>

#include "common/log/log.hpp"
#include "core/response_route.hpp"
#include "core/serving_header.hpp"
#include "core/settings_mapping.hpp"
#include "transport/peer_format.hpp"

namespace sipha::core {
namespace {

using sip::HeaderLine;
using sip::Method;

// What the appliance accepts (RFC 3261 11.2, 20.5): the registrar and the B2BUA's methods —
// those it relays within a call's dialogs included (NOTIFY of a transfer, MESSAGE during a call;
// outside a dialog they are refused with 403, not 405, as REFER is).
constexpr std::string_view kAllow =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, UPDATE, INFO, PRACK, REFER, NOTIFY, MESSAGE";
constexpr std::string_view kAllowWithoutRegistrar =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, PRACK, REFER, NOTIFY, MESSAGE";
constexpr std::string_view kAccept = "application/sdp";
// The extensions a call's parties can use through sipd (RFC 3261 20.37): reliable provisionals
// (RFC 3262: RSeq/RAck relayed, RAck rewritten per leg) and session timers (RFC 4028: refreshes
// relayed as ordinary re-INVITE/UPDATE), docs/b2bua.md.
constexpr std::string_view kSupported = "100rel, timer";

// The OPTIONS answer's headers (RFC 3261 11.2), with and without the registrar.
constexpr HeaderLine kOptionsHeaders[] = {
    {"Allow", kAllow}, {"Accept", kAccept}, {"Supported", kSupported}};
constexpr HeaderLine kOptionsHeadersWithoutRegistrar[] = {
    {"Allow", kAllowWithoutRegistrar}, {"Accept", kAccept}, {"Supported", kSupported}};

}  // namespace

SipCore::SipCore(timer::TimerWheel& wheel, transport::TransportManager& transports,
                 const common::RoleState& role, WallClockUsec wallClockUsec)
    : wheel_(wheel),
      transports_(transports),
      role_(role),
      wallClockUsec_(std::move(wallClockUsec)),
      tagSeed_(std::random_device{}()) {
  tagSeed_ = (tagSeed_ << 32) ^ std::random_device{}();
}

SipCore::~SipCore() = default;

void SipCore::configure(std::shared_ptr<const common::Config> config) {
  config_ = std::move(config);
  parserLimits_ = parserLimitsFrom(config_->tserver);
  if (!transactions_) {
    // Timer values and table limits take effect at start (a reload keeps live transactions).
    transactions_ = std::make_unique<transaction::TransactionLayer>(
        wheel_, *this, *this, transactionConfigFrom(config_->tserver));
  }
  if (!registerHandler_) {
    registerHandler_ = std::make_unique<RegisterHandler>(
        wheel_, counters_, [this] { return static_cast<std::int64_t>(wallClockUsec_() / 1000000); },
        [this](transaction::ServerTransaction& transaction, std::uint16_t status,
               std::string bytes) {
          countResponse(status);
          transaction.respond(status, std::move(bytes));
        });
  } else {
    registerHandler_->configure(config_);
  }
  if (!callGate_) {
    callGate_ = std::make_unique<CallGate>(
        wheel_.clock(), counters_,
        [this] { return static_cast<std::int64_t>(wallClockUsec_() / 1000000); },
        [this] { return registerHandler_->registrar(); },
        [this](transaction::ServerTransaction& transaction, std::uint16_t status,
               std::string bytes) {
          countResponse(status);
          transaction.respond(status, std::move(bytes));
        });
  }
  callGate_->configure(config_);
  if (!calls_) {
    calls_ = std::make_unique<CallManager>(
        wheel_, *transactions_, *this, counters_,
        [this] { return static_cast<std::int64_t>(wallClockUsec_() / 1000000); },
        [this]() -> const registrar::Registrar* {
          return config_->tserver.internalRegistrarEnabled && registerHandler_
                     ? registerHandler_->registrar()
                     : nullptr;
        });
    calls_->setProbing(role_.primary());
    calls_->setResolver(resolver_);
  }
  calls_->configure(*config_);
  updateOptionsHeaders();
}

void SipCore::setProbing(bool enabled) {
  if (calls_) calls_->setProbing(enabled);
}

void SipCore::roleChanged() {
  if (config_) updateOptionsHeaders();
}

void SipCore::updateOptionsHeaders() {
  const auto& base =
      config_->tserver.internalRegistrarEnabled ? kOptionsHeaders : kOptionsHeadersWithoutRegistrar;
  std::size_t count = 0;
  for (const HeaderLine& line : base) optionsHeaderLines_[count++] = line;
  servingValue_.clear();
  if (config_->ha.mode == common::HaMode::Pair && role_.primary()) {
    servingValue_ = servingHeaderValue(config_->ha.replication.nodeId, role_.epoch());
    optionsHeaderLines_[count++] = {kServingHeader, servingValue_};
  }
  optionsHeaders_ = std::span<const HeaderLine>{optionsHeaderLines_.data(), count};
}

void SipCore::onMessage(std::string&& bytes, const transport::Peer& from) {
  // The BIG-IP contract: a backup reads UDP and drops it unanswered, so the monitor marks it
  // down. Counted per source; nothing is parsed.
  if (!role_.primary()) {
    if (from.kind == transport::TransportKind::Udp) {
      ++counters_.backupUdpDropped;
      droppedSources_.record(from.address, wallClockUsec_());
    }
    return;
  }
  const auto framing =
      transport::isReliable(from.kind) ? sip::Framing::Stream : sip::Framing::Datagram;
  sip::ParseResult result = sip::parseMessage(std::move(bytes), parserLimits_, framing);
  if (!result.ok()) {
    answerParseError(result, from);
    return;
  }
  if (result.message->isRequest()) {
    ++counters_.requestsIn;
    handleRequest(result.message, from);
  } else {
    ++counters_.responsesIn;
    handleResponse(*result.message, from);
  }
}

void SipCore::answerParseError(const sip::ParseResult& result, const transport::Peer& from) {
  ++counters_.parseErrors;
  std::optional<std::string> answer;
  if (result.canRespond && result.message) {
    answer = sip::buildErrorResponse(result, nextToTag());
  }
  if (!answer) {
    ++counters_.parseErrorsDropped;
    return;
  }
  ++counters_.parseErrorsAnswered;
  countResponse(sip::statusCode(result.error));
  ResponseRoute route;
  computeResponseRoute(result.message->topVia(), from, route);
  send(route.destination, *answer);
}

void SipCore::handleResponse(const sip::Message& response, const transport::Peer& from) {
  const auto outcome = transactions_->receiveResponse(responseView(response, from));
  using transaction::ResponseDisposition;
  if (outcome.disposition == ResponseDisposition::PassToTu) {
    calls_->onResponse(response, outcome.transaction);
  } else if (outcome.disposition == ResponseDisposition::NoMatch) {
    // A late answer to an INVITE of ours (its transaction timed out) is cancelled or ACKed; a
    // 2xx retransmission after its INVITE transaction ended belongs to a call (13.2.2.4);
    // anything else is stray (18.1.2: no proxy core to forward it).
    if (calls_->answerLateResponse(response, from)) return;
    if (!calls_->onResponse(response, nullptr)) ++counters_.strayResponses;
  }
}

void SipCore::handleRequest(std::unique_ptr<sip::Message>& message, const transport::Peer& from) {
  const sip::Message& request = *message;
  // OPTIONS outside a dialog (the BIG-IP monitor's probe) is answered statelessly (RFC 3261
  // 8.2.7): the answer depends only on the request, its To tag is derived from the request so a
  // retransmission gets the same response, and no transaction lingers for Timer J.
  if (request.method() == Method::Options && request.to().tag.empty() &&
      !request.has(sip::HeaderId::Require) && request.requestUri().isSip()) {
    answerOptions(request, from);
    return;
  }
  const auto view = transactionView(request, from, request.to().tag);
  // Switchover drain: nothing new is created, except the CANCEL of an INVITE still under way.
  const bool mayCreate = takingTransactions_ || (request.method() == Method::Cancel &&
                                                 transactions_->findCancelTarget(view) != nullptr);
  const auto outcome = transactions_->receiveRequest(view, mayCreate);
  using transaction::RequestDisposition;
  switch (outcome.disposition) {
    case RequestDisposition::NewTransaction:
      currentSource_ = &from;
      serve(message, *outcome.transaction, outcome.cancelTarget);
      currentSource_ = nullptr;
      return;
    case RequestDisposition::AckForTu:  // an ACK for a 2xx: the call's (13.3.1.4)
      calls_->onAck(message, from);
      return;
    case RequestDisposition::Retransmission:
    case RequestDisposition::AckAbsorbed:
      return;
    case RequestDisposition::NotCreated:  // dropped: its retransmission finds the new primary
      ++counters_.switchoverDropped;
      return;
    case RequestDisposition::Merged: {
      ++counters_.merged;
      sip::ResponseSpec spec;
      spec.status = 482;
      spec.reason = "Loop Detected";
      answerStateless(request, from, spec);
      return;
    }
    case RequestDisposition::Overloaded: {
      ++counters_.overloaded;
      static constexpr HeaderLine retryAfter[] = {{"Retry-After", "5"}};
      sip::ResponseSpec spec;
      spec.status = 503;
      spec.reason = "Service Unavailable - Too Many Transactions";
      spec.headers = retryAfter;
      answerStateless(request, from, spec);
      return;
    }
  }
}

void SipCore::answerStateless(const sip::Message& request, const transport::Peer& from,
                              const sip::ResponseSpec& base) {
  if (request.method() == Method::Ack) return;  // never answer an ACK (17.2.1)
  ResponseRoute route;
  computeResponseRoute(request.topVia(), from, route);
  sip::ResponseSpec spec = base;
  spec.toTag = nextToTag();
  spec.viaReceived = route.received;
  spec.viaRport = route.rport;
  countResponse(spec.status);
  send(route.destination, sip::buildResponse(request, spec));
}

void SipCore::respond(const sip::Message& request, transaction::ServerTransaction& transaction,
                      sip::ResponseSpec spec) {
  countResponse(spec.status);
  transaction.respond(spec.status, sip::buildResponse(request, spec));
}

bool SipCore::rejectUnsupportedExtensions(const sip::Message& request,
                                          transaction::ServerTransaction& transaction) {
  // RFC 3261 8.2.2.3: we support no option tags yet, so any Require is unsupported.
  if (request.method() == Method::Cancel || !request.has(sip::HeaderId::Require)) return false;
  const std::string_view required = request.header(sip::HeaderId::Require);
  const HeaderLine unsupported[] = {{"Unsupported", required}};
  sip::ResponseSpec spec;
  spec.status = 420;
  spec.reason = "Bad Extension";
  spec.headers = unsupported;
  ResponseRoute route;
  computeResponseRoute(request.topVia(), *currentSource_, route);
  spec.toTag = nextToTag();
  spec.viaReceived = route.received;
  spec.viaRport = route.rport;
  respond(request, transaction, spec);
  return true;
}

void SipCore::serve(std::unique_ptr<sip::Message>& message,
                    transaction::ServerTransaction& transaction,
                    transaction::ServerTransaction* cancelTarget) {
  const sip::Message& request = *message;
  const transport::Peer& from = *currentSource_;
  ResponseRoute route;
  computeResponseRoute(request.topVia(), from, route);
  transaction.setResponseDestination(route.destination);
  sip::ResponseSpec spec;
  spec.toTag = nextToTag();
  spec.viaReceived = route.received;
  spec.viaRport = route.rport;
  const bool registrarEnabled = config_->tserver.internalRegistrarEnabled;

  const Method method = request.method();
  // Calls (docs/calls.md): a new INVITE, and anything that belongs to a call (CANCEL, requests
  // in its dialogs). Extensions are the end points' business: Require passes end to end.
  if (method != Method::Options && method != Method::Register && request.requestUri().isSip()) {
    // Read before the call takes the message (it may end, and free it, at once).
    const bool newCall = method == Method::Invite && request.to().tag.empty();
    if (newCall && !callGate_->admitCall(request, transaction, from, spec)) return;
    switch (calls_->onRequest(message, transaction, from)) {
      case CallManager::RequestResult::Handled:
        if (newCall) callRate_.record(wheel_.clock().now());
        return;
      case CallManager::RequestResult::Full: {
        static constexpr HeaderLine retryAfter[] = {{"Retry-After", "5"}};
        spec.status = 503;
        spec.reason = "Service Unavailable - Too Many Calls";
        spec.headers = retryAfter;
        respond(request, transaction, spec);
        return;
      }
      case CallManager::RequestResult::Loop:
        spec.status = 482;
        spec.reason = "Loop Detected";
        respond(request, transaction, spec);
        return;
      case CallManager::RequestResult::WrongTransport:
        spec.status = 403;
        spec.reason = "Forbidden - TLS Dialog Over Another Transport";
        respond(request, transaction, spec);
        return;
      case CallManager::RequestResult::NotMine:
        break;
    }
  }
  if (method == Method::Cancel) {
    // 9.2: 200 for a CANCEL that matches a transaction (it has already had its final answer:
    // this core answers INVITEs at once), 481 otherwise.
    spec.status = cancelTarget != nullptr ? 200 : 481;
    spec.reason = cancelTarget != nullptr ? "OK" : "Call/Transaction Does Not Exist";
    respond(request, transaction, spec);
    return;
  }
  if (rejectUnsupportedExtensions(request, transaction)) return;
  if (!request.requestUri().isSip()) {
    spec.status = 416;  // 8.2.2.1
    spec.reason = "Unsupported URI Scheme";
    respond(request, transaction, spec);
    return;
  }
  switch (method) {
    case Method::Options:  // in a dialog, or with Require: through its transaction
      ++counters_.optionsIn;
      optionsSources_.record(from.address, wallClockUsec_());
      spec.status = 200;
      spec.reason = "OK";
      spec.headers = optionsHeaders_;
      respond(request, transaction, spec);
      return;
    case Method::Register:
      if (registrarEnabled) {
        ++counters_.registerIn;
        if (!callGate_->admitRegister(request, transaction, from, spec)) return;
        const std::string source = transport::formatPeer(from);
        const auto* registrar = registerHandler_->registrar();
        const std::uint64_t failures = registrar ? registrar->counters().authFailures : 0;
        registerHandler_->handle(request, transaction, source, spec);
        if (registrar && registrar->counters().authFailures != failures) {
          callGate_->registerFailed(from);
        }
        return;
      }
      [[fallthrough]];
    case Method::Refer:
    case Method::Message:
    case Method::Notify:
      if (request.to().tag.empty()) {
        // RFC 3515 allows REFER outside a dialog, RFC 3428 MESSAGE, RFC 6665 NOTIFY (with a
        // subscription); sipd relays them only within calls.
        spec.status = 403;
        spec.reason = method == Method::Refer     ? "Forbidden - REFER Outside A Dialog"
                      : method == Method::Message ? "Forbidden - MESSAGE Outside A Dialog"
                      : method == Method::Notify  ? "Forbidden - NOTIFY Outside A Dialog"
                                                  : "Forbidden - REGISTER Without Registrar";
        respond(request, transaction, spec);
        return;
      }
      spec.status = 481;
      spec.reason = "Call/Transaction Does Not Exist";
      respond(request, transaction, spec);
      return;
    case Method::Subscribe:
    case Method::Publish: {
      // 8.2.1: a method we know but do not serve (yet) gets 405 with Allow.
      const HeaderLine headers[] = {{"Allow", registrarEnabled ? kAllow : kAllowWithoutRegistrar}};
      spec.status = 405;
      spec.reason = "Method Not Allowed";
      spec.headers = headers;
      respond(request, transaction, spec);
      return;
    }
    case Method::Invite:  // with a To tag of no call (a new INVITE is always a call's)
    case Method::Bye:
    case Method::Prack:
    case Method::Update:
    case Method::Info:
      // In-dialog requests; there is no dialog they could belong to (12.2.2).
      spec.status = 481;
      spec.reason = "Call/Transaction Does Not Exist";
      respond(request, transaction, spec);
      return;
    case Method::Ack:
    case Method::Cancel:
      return;  // ACK never creates a transaction; CANCEL handled above
    case Method::Unknown:
      break;
  }
  spec.status = 501;  // 8.2.1: a method we do not recognise
  spec.reason = "Not Implemented";
  const HeaderLine headers[] = {{"Allow", registrarEnabled ? kAllow : kAllowWithoutRegistrar}};
  spec.headers = headers;
  respond(request, transaction, spec);
}

void SipCore::answerOptions(const sip::Message& request, const transport::Peer& from) {
  ++counters_.optionsIn;
  optionsSources_.record(from.address, wallClockUsec_());
  ResponseRoute route;
  computeResponseRoute(request.topVia(), from, route);
  sip::ResponseSpec spec;
  spec.status = 200;
  spec.reason = "OK";
  spec.toTag = statelessToTag(request);
  spec.viaReceived = route.received;
  spec.viaRport = route.rport;
  spec.headers = optionsHeaders_;
  countResponse(200);
  send(route.destination, sip::buildResponse(request, spec));
}

std::string_view SipCore::statelessToTag(const sip::Message& request) {
  // 8.2.7: the same request must always get the same tag: a keyed hash of what identifies it.
  std::uint64_t hash = 1469598103934665603ull ^ tagSeed_;
  const auto mix = [&hash](std::string_view text) {
    for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    hash = (hash ^ 0xff) * 1099511628211ull;
  };
  mix(request.callId());
  mix(request.from().tag);
  mix(request.cseqText());
  mix(request.topVia().branch);
  return hexTag(hash);
}

std::string_view SipCore::hexTag(std::uint64_t value) {
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
  value ^= value >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    tagBuffer_[i] = kHex[value & 0xf];
    value >>= 4;
  }
  return {tagBuffer_, 16};
}

std::string_view SipCore::nextToTag() {
  // 19.3: globally unique, cryptographically random enough to not collide: a random per-process
  // seed mixed with a counter (splitmix64), as 16 hex digits.
  return hexTag(tagSeed_ + (++tagCounter_) * 0x9E3779B97F4A7C15ull);
}

void SipCore::countResponse(std::uint16_t status) { core::countResponse(counters_, status); }

bool SipCore::send(const transport::Peer& to, std::string_view bytes) {
  const std::error_code error = transports_.send(to, bytes);
  // A stream connection that could not even start (refused at once, the connection limit):
  // the transaction ends now (17.1.4); the operator learns why.
  if (error && transport::isReliable(to.kind)) logSendFailure(to, error, "");
  return !error;
}

void SipCore::logSendFailure(const transport::Peer& to, std::error_code error,
                             std::string_view consequence) {
  // Once per failed connection at most, and at most one line per 10 s (docs/error-policy.md):
  // a peer can make sipd fail to reach it as often as it likes.
  std::uint64_t suppressed = 0;
  if (!sendFailureLog_.admit(wheel_.clock().now(), suppressed)) return;
  common::logNotice(
      "transport: ", transport::transportName(to.kind), " to ", transport::formatPeer(to),
      " failed (", error.message(), ")", consequence,
      suppressed != 0 ? " (" + std::to_string(suppressed) + " more not logged)" : std::string{});
}

bool SipCore::connected(std::uint64_t connectionId) const {
  return transports_.hasConnection(connectionId);
}

void SipCore::onSendFailed(const transport::Peer& to, std::error_code error) {
  if (!transactions_) return;
  const std::size_t ended = transactions_->failDestination(to);
  logSendFailure(to, error, "; " + std::to_string(ended) + " client transaction(s) ended");
}

std::string SipCore::buildAck(const transaction::ClientTransaction& transaction,
                              const transaction::IncomingResponse& response) {
  if (!calls_ || response.message == nullptr) return {};
  return calls_->buildAck(transaction, *static_cast<const sip::Message*>(response.message));
}

void SipCore::onTimeout(transaction::ClientTransaction& transaction) {
  if (calls_) calls_->onClientFailed(transaction);
}

void SipCore::onTimeout(transaction::ServerTransaction&) {}

void SipCore::onTransportError(transaction::Transaction& transaction) {
  const auto kind = transaction.kind();
  if (calls_ && (kind == transaction::TransactionKind::InviteClient ||
                 kind == transaction::TransactionKind::NonInviteClient)) {
    calls_->onClientFailed(static_cast<transaction::ClientTransaction&>(transaction));
  }
}

void SipCore::onTerminated(transaction::Transaction& transaction) {
  if (registerHandler_) registerHandler_->forget(transaction);
  if (calls_) calls_->onTerminated(transaction);
}

}  // namespace sipha::core
