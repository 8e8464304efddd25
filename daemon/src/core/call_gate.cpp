#include "core/call_gate.hpp"

#include "common/log/log.hpp"
#include "transport/peer_format.hpp"

namespace sipha::core {
namespace {

// Reason phrases of the refusals (RFC 3261 21.4.4: authorization will not help).
std::string_view reasonOf(AdmissionVerdict verdict) noexcept {
  switch (verdict) {
    case AdmissionVerdict::Unknown:
      return "Forbidden - Not A Trusted Source Or Extension";
    case AdmissionVerdict::Unregistered:
      return "Forbidden - Extension Not Registered From This Address";
    case AdmissionVerdict::WrongUser:
      return "Forbidden - Credentials Of Another User";
    case AdmissionVerdict::Blocked:
      return "Forbidden - Too Many Failed Authentications";
    default:
      return "Unauthorized";
  }
}

// What the log line says about the caller.
std::string_view explanationOf(AdmissionVerdict verdict) noexcept {
  switch (verdict) {
    case AdmissionVerdict::Unknown:
      return "the source is not trusted and the From user is no Extension";
    case AdmissionVerdict::Unregistered:
      return "the Extension has no password and no binding registered from this address";
    case AdmissionVerdict::WrongUser:
      return "digest credentials of another user than the From user";
    case AdmissionVerdict::Failed:
      return "wrong digest credentials";
    case AdmissionVerdict::Blocked:
      return "the source is blocked after too many failed authentications";
    default:
      return "";
  }
}

std::string_view digestProblem(registrar::DigestVerdict verdict) noexcept {
  using registrar::DigestVerdict;
  switch (verdict) {
    case DigestVerdict::Malformed:
      return "malformed";
    case DigestVerdict::WrongRealm:
      return "wrong realm";
    case DigestVerdict::BadNonce:
      return "nonce not issued by sipd";
    case DigestVerdict::BadAlgorithm:
      return "algorithm not offered";
    case DigestVerdict::WrongUri:
      return "digest uri differs from the Request-URI";
    case DigestVerdict::WrongResponse:
      return "wrong password";
    default:
      return "";
  }
}

// A peer-controlled text made safe and short for a log line.
std::string printable(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (const char c : text.substr(0, kMax)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace

CallGate::CallGate(const timer::Clock& clock, CoreCounters& counters, NowSeconds now,
                   RegistrarSource registrar, Responder responder)
    : clock_(clock),
      counters_(counters),
      now_(std::move(now)),
      registrar_(std::move(registrar)),
      responder_(std::move(responder)) {}

void CallGate::configure(std::shared_ptr<const common::Config> config) {
  config_ = std::move(config);
  const auto& tserver = config_->tserver;
  const std::string& address =
      tserver.sipAddress.empty() ? tserver.sipInterface : tserver.sipAddress;
  const bool ipv6 = address.find(':') != std::string::npos && address.front() != '[';
  registrarHost_ = ipv6 ? "[" + address + "]" : address;

  std::vector<std::string> hostNames;
  TrustedSources trusted = TrustedSources::build(*config_, hostNames);
  for (const std::string& name : hostNames) {
    common::logNotice("auth: ", name,
                      " is a host name: not a trusted source (put its addresses in "
                      "[TServer] trusted-networks)");
  }
  common::logInfo("auth: trusted sources: ", trusted.networkCount(), " networks, ",
                  trusted.hostCount(), " addresses; failure limit ",
                  tserver.authenticationFailureLimit, " per ", tserver.authenticationFailureWindow,
                  " s");
  AuthFailureTable::Settings limits;
  limits.limit = tserver.authenticationFailureLimit;
  limits.window = std::chrono::seconds{tserver.authenticationFailureWindow};
  limits.capacity = tserver.authenticationFailureSources;
  admission_.configure(std::move(trusted), limits);
}

bool CallGate::admitCall(const sip::Message& request, transaction::ServerTransaction& transaction,
                         const transport::Peer& from, sip::ResponseSpec spec) {
  AdmissionRequest input;
  input.source = common::IpAddress::from(from.address);
  sip::Uri fromUri;
  if (request.from().parsedUri(fromUri) && fromUri.isSip()) {
    input.fromUser = fromUri.user;
    input.fromHost = fromUri.host;
  }
  input.authorization = request.header(sip::HeaderId::Authorization);
  input.method = request.methodText();
  input.requestUri = request.requestUriText();
  nowSeconds_ = now_();
  const timer::TimePoint now = clock_.now();
  const AdmissionDecision decision = admission_.decide(input, *this, now, nowSeconds_);
  count(decision);
  if (admitted(decision.verdict)) return true;

  if (decision.verdict == AdmissionVerdict::Challenge ||
      decision.verdict == AdmissionVerdict::Failed) {
    // RFC 3261 22.2: sipd is the UAS, so 401 with WWW-Authenticate, one per algorithm offered
    // (RFC 8760), the same challenges as for REGISTER.
    challenges_ = authenticator()->challenges(nowSeconds_, decision.stale);
    headers_.clear();
    for (const std::string& challenge : challenges_) {
      headers_.push_back({"WWW-Authenticate", challenge});
    }
    spec.headers = headers_;
    if (decision.verdict == AdmissionVerdict::Failed) {
      logRefusal(decision, request, from, input.fromUser);
    }
    answer(request, transaction, spec, 401, "Unauthorized");
  } else {
    logRefusal(decision, request, from, input.fromUser);
    answer(request, transaction, spec, 403, reasonOf(decision.verdict));
  }
  if (decision.sourceBlocked) logBlocked(from);
  return false;
}

bool CallGate::admitRegister(const sip::Message& request,
                             transaction::ServerTransaction& transaction,
                             const transport::Peer& from, sip::ResponseSpec spec) {
  if (!admission_.blocked(common::IpAddress::from(from.address), clock_.now())) return true;
  ++counters_.authRefusedBlocked;
  AdmissionDecision decision;
  decision.verdict = AdmissionVerdict::Blocked;
  sip::Uri fromUri;
  const bool parsed = request.from().parsedUri(fromUri);
  logRefusal(decision, request, from, parsed ? fromUri.user : std::string_view{});
  answer(request, transaction, spec, 403, reasonOf(AdmissionVerdict::Blocked));
  return false;
}

void CallGate::registerFailed(const transport::Peer& from) {
  const auto outcome =
      admission_.recordFailure(common::IpAddress::from(from.address), clock_.now());
  if (outcome.evicted) ++counters_.authTableEvictions;
  if (outcome.blocked) {
    ++counters_.authSourcesBlocked;
    logBlocked(from);
  }
}

void CallGate::count(const AdmissionDecision& decision) {
  if (decision.evicted) ++counters_.authTableEvictions;
  if (decision.sourceBlocked) ++counters_.authSourcesBlocked;
  switch (decision.verdict) {
    case AdmissionVerdict::Trusted:
      ++counters_.authTrusted;
      return;
    case AdmissionVerdict::Authenticated:
      ++counters_.authAuthenticated;
      return;
    case AdmissionVerdict::Registered:
      ++counters_.authRegistered;
      return;
    case AdmissionVerdict::Challenge:
      ++counters_.authChallenges;
      return;
    case AdmissionVerdict::Failed:
      ++counters_.authFailures;
      return;
    case AdmissionVerdict::Unknown:
      ++counters_.authRefusedUnknown;
      return;
    case AdmissionVerdict::Unregistered:
      ++counters_.authRefusedUnregistered;
      return;
    case AdmissionVerdict::WrongUser:
      ++counters_.authRefusedWrongUser;
      return;
    case AdmissionVerdict::Blocked:
      ++counters_.authRefusedBlocked;
      return;
  }
}

void CallGate::logRefusal(const AdmissionDecision& decision, const sip::Message& request,
                          const transport::Peer& from, std::string_view fromUser) {
  std::uint64_t suppressed = 0;
  const auto kind = static_cast<std::size_t>(decision.verdict);
  if (kind >= refusalLogs_.size() || !refusalLogs_[kind].admit(clock_.now(), suppressed)) return;
  const std::string_view problem = digestProblem(decision.digest);
  common::logNotice("auth: ", request.methodText(), " from ", transport::formatPeer(from),
                    fromUser.empty() ? std::string{} : " (From user '" + printable(fromUser) + "')",
                    " refused: ", explanationOf(decision.verdict), problem.empty() ? "" : " (",
                    problem, problem.empty() ? "" : ")",
                    suppressed == 0
                        ? std::string{}
                        : "; " + std::to_string(suppressed) + " more like it since the last line");
}

void CallGate::logBlocked(const transport::Peer& from) {
  std::uint64_t suppressed = 0;
  if (!blockedLog_.admit(clock_.now(), suppressed)) return;
  const auto& tserver = config_->tserver;
  common::logWarning("auth: ", tserver.authenticationFailureLimit, " failed authentications from ",
                     common::IpAddress::from(from.address).toString(), " within ",
                     tserver.authenticationFailureWindow, " s: its requests are refused for ",
                     tserver.authenticationFailureWindow, " s",
                     suppressed == 0 ? std::string{}
                                     : "; " + std::to_string(suppressed) +
                                           " more sources blocked since the "
                                           "last line");
}

void CallGate::answer(const sip::Message& request, transaction::ServerTransaction& transaction,
                      sip::ResponseSpec& spec, std::uint16_t status, std::string_view reason) {
  spec.status = status;
  spec.reason = reason;
  responder_(transaction, status, sip::buildResponse(request, spec));
}

registrar::ExtensionInfo CallGate::extension(std::string_view user) const {
  registrar::ExtensionInfo info;
  const common::Dn* dn = config_->findDn(user);
  if (dn != nullptr && dn->type == common::DnType::Extension) {
    info.known = true;
    info.password = dn->password;
  }
  return info;
}

bool CallGate::registeredFrom(std::string_view user, std::string_view host,
                              const common::IpAddress& source) const {
  const registrar::Registrar* registrar =
      config_->tserver.internalRegistrarEnabled ? registrar_() : nullptr;
  if (registrar == nullptr) return false;
  const auto fromBinding = [&](std::string_view aorHost) {
    for (const registrar::Binding& binding : registrar->bindingsOf(user, aorHost, nowSeconds_)) {
      transport::Peer peer;
      if (transport::parsePeer(binding.source, peer) &&
          common::IpAddress::from(peer.address) == source) {
        return true;
      }
    }
    return false;
  };
  if (!host.empty() && fromBinding(host)) return true;
  return host != registrarHost_ && fromBinding(registrarHost_);
}

const registrar::DigestAuthenticator* CallGate::authenticator() const {
  const registrar::Registrar* registrar = registrar_();
  return registrar != nullptr ? &registrar->authenticator() : nullptr;
}

}  // namespace sipha::core
