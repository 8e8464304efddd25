#pragma once
// The SIP side of call admission (docs/authentication.md): SipCore asks it about every new
// INVITE before the call layer sees it, and about every REGISTER for the per-source failure
// limit. It turns CallAdmission's decision into the answer (401 with the registrar's digest
// challenges, 403 with a reason phrase naming why), counts every outcome (CoreCounters ->
// D-Bus `Counters` auth.*) and logs refusals at most once per 10 s per kind.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"
#include "core/call_admission.hpp"
#include "core/core_counters.hpp"
#include "core/log_throttle.hpp"
#include "registrar/registrar.hpp"
#include "sip/message.hpp"
#include "sip/message_builder.hpp"
#include "timer/clock.hpp"
#include "transaction/server_transaction.hpp"
#include "transport/peer.hpp"

namespace sipha::core {

class CallGate final : private CallerDirectory {
 public:
  using NowSeconds = std::function<std::int64_t()>;  // wall clock, seconds (digest nonces)
  // The registrar (digest authenticator, bindings), or null while it is not open.
  using RegistrarSource = std::function<const registrar::Registrar*()>;
  // Sends a response through its server transaction.
  using Responder =
      std::function<void(transaction::ServerTransaction&, std::uint16_t status, std::string bytes)>;

  CallGate(const timer::Clock& clock, CoreCounters& counters, NowSeconds now,
           RegistrarSource registrar, Responder responder);

  // On start and on every reload: trusted sources and the failure limit (blocked sources and
  // their counts are kept).
  void configure(std::shared_ptr<const common::Config> config);

  // A new INVITE (no To tag). True: the call may start. False: it was answered (401 or 403).
  // `spec` carries the To tag and Via rewriting for this request.
  bool admitCall(const sip::Message& request, transaction::ServerTransaction& transaction,
                 const transport::Peer& from, sip::ResponseSpec spec);

  // REGISTER: false (and answered 403) when the source is blocked by the failure limit.
  bool admitRegister(const sip::Message& request, transaction::ServerTransaction& transaction,
                     const transport::Peer& from, sip::ResponseSpec spec);
  // The registrar refused credentials of a REGISTER from `from`.
  void registerFailed(const transport::Peer& from);

  const CallAdmission& admission() const noexcept { return admission_; }

 private:
  // CallerDirectory
  registrar::ExtensionInfo extension(std::string_view user) const override;
  bool registeredFrom(std::string_view user, std::string_view host,
                      const common::IpAddress& source) const override;
  const registrar::DigestAuthenticator* authenticator() const override;

  void count(const AdmissionDecision& decision);
  void logRefusal(const AdmissionDecision& decision, const sip::Message& request,
                  const transport::Peer& from, std::string_view fromUser);
  void logBlocked(const transport::Peer& from);
  void answer(const sip::Message& request, transaction::ServerTransaction& transaction,
              sip::ResponseSpec& spec, std::uint16_t status, std::string_view reason);

  const timer::Clock& clock_;
  CoreCounters& counters_;
  NowSeconds now_;
  RegistrarSource registrar_;
  Responder responder_;
  std::shared_ptr<const common::Config> config_;
  std::string registrarHost_;  // sip-address as an AOR host (IPv6 in brackets)
  std::int64_t nowSeconds_ = 0;
  CallAdmission admission_;
  std::array<LogThrottle, 9> refusalLogs_;  // by AdmissionVerdict
  LogThrottle blockedLog_;
  std::vector<std::string> challenges_;  // scratch: the WWW-Authenticate values
  std::vector<sip::HeaderLine> headers_;
};

}  // namespace sipha::core
