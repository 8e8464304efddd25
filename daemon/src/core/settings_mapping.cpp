#include "core/settings_mapping.hpp"

#include "transport/self_signed_certificate.hpp"

namespace sipha::core {

sip::ParserLimits parserLimitsFrom(const common::TServerOptions& tserver) {
  sip::ParserLimits limits;
  limits.maxMessageBytes = tserver.maxMessageSize;
  limits.maxHeaders = tserver.maxHeaders;
  return limits;
}

transaction::Config transactionConfigFrom(const common::TServerOptions& tserver) {
  transaction::Config config;
  config.timers.t1 = transaction::Duration{tserver.timerT1Ms};
  config.timers.t2 = transaction::Duration{tserver.timerT2Ms};
  config.timers.t4 = transaction::Duration{tserver.timerT4Ms};
  config.maxServerTransactions = tserver.maxTransactions;
  config.maxClientTransactions = tserver.maxTransactions;
  return config;
}

registrar::RegistrarOptions registrarOptionsFrom(const common::TServerOptions& tserver) {
  registrar::RegistrarOptions options;
  options.acceptUnknown = tserver.registrarAcceptUnknown;
  options.defaultExpires = tserver.registrarDefaultExpires;
  options.minExpires = tserver.registrarMinExpires;
  options.maxExpires = tserver.registrarMaxExpires;
  options.maxContacts = tserver.registrarMaxContacts;
  return options;
}

registrar::DigestOptions digestOptionsFrom(const common::TServerOptions& tserver) {
  registrar::DigestOptions options;
  options.realm = tserver.authenticationRealm;
  // The loader validated the list ("SHA-256", "MD5", comma-separated).
  if (auto algorithms = registrar::parseDigestAlgorithmList(tserver.authenticationAlgorithms)) {
    options.algorithms = std::move(*algorithms);
  }
  return options;
}

transport::Status transportSettingsFrom(const common::Config& config,
                                        transport::TransportSettings& settings) {
  const auto& tserver = config.tserver;
  settings.interface = tserver.sipInterface;
  settings.port = tserver.sipPort;
  settings.limits.maxMessageSize = tserver.maxMessageSize;
  settings.limits.maxConnections = tserver.maxConnections;
  if (tserver.sipPortTls == 0) {
    settings.tlsPort.reset();
    return transport::Status::success();
  }
  settings.tlsPort = tserver.sipPortTls;
  settings.tls.caFile = tserver.tlsCaFile;
  settings.tls.verifyClient = tserver.tlsVerifyClient;
  if (!tserver.tlsCertificate.empty()) {
    settings.tls.certificateFile = tserver.tlsCertificate;
    settings.tls.privateKeyFile = tserver.tlsPrivateKey;
    return transport::Status::success();
  }
  transport::CertificatePaths paths;
  auto status =
      transport::ensureSelfSignedCertificate(config.appliance.dataDir, tserver.sipAddress, paths);
  settings.tls.certificateFile = paths.certificateFile;
  settings.tls.privateKeyFile = paths.privateKeyFile;
  return status;
}

}  // namespace sipha::core
