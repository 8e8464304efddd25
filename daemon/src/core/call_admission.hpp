#pragma once
// Whether a new call may start (docs/authentication.md): the trust model as a pure decision, no
// sockets, no clock, no SIP messages. In order:
//  1. a trusted source (TrustedSources) is admitted as it is;
//  2. a source blocked by the failure limit (AuthFailureTable) is refused without any check;
//  3. the From user must name an Extension DN, else refused;
//  4. an Extension with a password must present digest credentials of that same Extension
//     (the registrar's DigestAuthenticator: same nonces, realm and algorithms as REGISTER):
//     none, a stale nonce or a nonce not issued by sipd -> challenge; wrong ones -> challenge
//     again (a failure); another user's -> refused;
//  5. an Extension without a password is admitted only from the address one of its current
//     bindings came from.
// Every refusal and every wrong credential counts as a failure of the source.
#include <cstdint>
#include <string_view>

#include "common/net/ip_network.hpp"
#include "core/auth_failure_table.hpp"
#include "core/trusted_sources.hpp"
#include "registrar/digest_auth.hpp"
#include "registrar/registrar.hpp"
#include "timer/clock.hpp"

namespace sipha::core {

enum class AdmissionVerdict : std::uint8_t {
  Trusted,        // admitted: a trusted source
  Authenticated,  // admitted: digest credentials of the From user's Extension
  Registered,     // admitted: a password-less Extension, from one of its bindings' addresses
  Challenge,      // 401: no credentials, a stale nonce (`stale`) or a nonce not ours
  Failed,         // 401 again: wrong credentials (password, realm, uri, algorithm, syntax)
  Unknown,        // 403: an untrusted source whose From user is no Extension
  Unregistered,   // 403: a password-less Extension, from none of its bindings' addresses
  WrongUser,      // 403: valid-looking credentials of another user than the From user
  Blocked,        // 403: the source reached the failure limit
};

constexpr bool admitted(AdmissionVerdict verdict) noexcept {
  return verdict == AdmissionVerdict::Trusted || verdict == AdmissionVerdict::Authenticated ||
         verdict == AdmissionVerdict::Registered;
}

struct AdmissionRequest {
  common::IpAddress source;
  std::string_view fromUser;       // the From URI's user part
  std::string_view fromHost;       // the From URI's host (the AOR host of its bindings)
  std::string_view authorization;  // the Authorization header, or empty
  std::string_view method;         // "INVITE"
  std::string_view requestUri;     // as received (the digest-uri must equal it)
};

struct AdmissionDecision {
  AdmissionVerdict verdict = AdmissionVerdict::Unknown;
  bool stale = false;  // Challenge: the nonce was stale (challenge with stale=true)
  registrar::DigestVerdict digest = registrar::DigestVerdict::Missing;  // why Failed
  bool sourceBlocked = false;  // this refusal made the source reach the failure limit
  bool evicted = false;        // the failure table was full: its oldest source was dropped
};

// What the decision reads from the rest of sipd (the configuration's DNs, the registrar).
class CallerDirectory {
 public:
  virtual ~CallerDirectory() = default;
  // The Extension DN named `user` (known = false for anything else) and its password.
  virtual registrar::ExtensionInfo extension(std::string_view user) const = 0;
  // Whether a current binding of `user` (AOR host `host`) was registered from `source`.
  virtual bool registeredFrom(std::string_view user, std::string_view host,
                              const common::IpAddress& source) const = 0;
  // The registrar's authenticator; null when there is none (digest then fails closed).
  virtual const registrar::DigestAuthenticator* authenticator() const = 0;
};

class CallAdmission {
 public:
  void configure(TrustedSources trusted, AuthFailureTable::Settings limits);

  // `now` is monotonic (the failure limit), `nowSeconds` the wall clock (digest nonces).
  AdmissionDecision decide(const AdmissionRequest& request, const CallerDirectory& directory,
                           timer::TimePoint now, std::int64_t nowSeconds);

  // The failure limit for other authenticated requests (REGISTER).
  bool blocked(const common::IpAddress& source, timer::TimePoint now) {
    return failures_.blocked(source, now);
  }
  AuthFailureTable::Outcome recordFailure(const common::IpAddress& source, timer::TimePoint now) {
    return failures_.recordFailure(source, now);
  }

  const TrustedSources& trusted() const noexcept { return trusted_; }
  const AuthFailureTable& failures() const noexcept { return failures_; }

 private:
  AdmissionDecision refuse(AdmissionVerdict verdict, const common::IpAddress& source,
                           timer::TimePoint now);

  TrustedSources trusted_;
  AuthFailureTable failures_;
};

}  // namespace sipha::core
