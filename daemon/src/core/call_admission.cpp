#include "core/call_admission.hpp"

namespace sipha::core {

using registrar::DigestVerdict;

void CallAdmission::configure(TrustedSources trusted, AuthFailureTable::Settings limits) {
  trusted_ = std::move(trusted);
  failures_.configure(limits);
}

AdmissionDecision CallAdmission::refuse(AdmissionVerdict verdict, const common::IpAddress& source,
                                        timer::TimePoint now) {
  AdmissionDecision decision;
  decision.verdict = verdict;
  const AuthFailureTable::Outcome outcome = failures_.recordFailure(source, now);
  decision.sourceBlocked = outcome.blocked;
  decision.evicted = outcome.evicted;
  return decision;
}

AdmissionDecision CallAdmission::decide(const AdmissionRequest& request,
                                        const CallerDirectory& directory, timer::TimePoint now,
                                        std::int64_t nowSeconds) {
  AdmissionDecision decision;
  if (trusted_.contains(request.source)) {
    decision.verdict = AdmissionVerdict::Trusted;
    return decision;
  }
  if (failures_.blocked(request.source, now)) {
    decision.verdict = AdmissionVerdict::Blocked;
    return decision;
  }
  const registrar::ExtensionInfo extension =
      request.fromUser.empty() ? registrar::ExtensionInfo{} : directory.extension(request.fromUser);
  if (!extension.known) return refuse(AdmissionVerdict::Unknown, request.source, now);

  if (extension.password.empty()) {
    if (directory.registeredFrom(request.fromUser, request.fromHost, request.source)) {
      decision.verdict = AdmissionVerdict::Registered;
      return decision;
    }
    return refuse(AdmissionVerdict::Unregistered, request.source, now);
  }

  const registrar::DigestAuthenticator* authenticator = directory.authenticator();
  if (authenticator == nullptr) return refuse(AdmissionVerdict::Unknown, request.source, now);
  const DigestVerdict digest =
      authenticator->verify(request.authorization, request.fromUser, extension.password,
                            request.method, request.requestUri, nowSeconds);
  switch (digest) {
    case DigestVerdict::Ok:
      decision.verdict = AdmissionVerdict::Authenticated;
      return decision;
    case DigestVerdict::Missing:
    case DigestVerdict::BadNonce:  // not ours (before a restart?): no password was checked
      decision.verdict = AdmissionVerdict::Challenge;
      decision.digest = digest;
      return decision;
    case DigestVerdict::StaleNonce:  // the right password over an old nonce: a new one
      decision.verdict = AdmissionVerdict::Challenge;
      decision.stale = true;
      return decision;
    case DigestVerdict::WrongUser:
      decision = refuse(AdmissionVerdict::WrongUser, request.source, now);
      decision.digest = digest;
      return decision;
    case DigestVerdict::Malformed:
    case DigestVerdict::WrongRealm:
    case DigestVerdict::BadAlgorithm:
    case DigestVerdict::WrongUri:
    case DigestVerdict::WrongResponse:
      break;
  }
  decision = refuse(AdmissionVerdict::Failed, request.source, now);
  decision.digest = digest;
  return decision;
}

}  // namespace sipha::core
