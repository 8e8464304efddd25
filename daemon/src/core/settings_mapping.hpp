#pragma once
// Maps the configuration model (common/config) onto each layer's own settings struct, so the
// layers stay independent of the INI file and every mapping lives in one place.
#include <string>

#include "common/config/config.hpp"
#include "registrar/digest_auth.hpp"
#include "registrar/types.hpp"
#include "sip/parser.hpp"
#include "transaction/config.hpp"
#include "transport/settings.hpp"
#include "transport/status.hpp"

namespace sipha::core {

sip::ParserLimits parserLimitsFrom(const common::TServerOptions& tserver);
transaction::Config transactionConfigFrom(const common::TServerOptions& tserver);
registrar::RegistrarOptions registrarOptionsFrom(const common::TServerOptions& tserver);
registrar::DigestOptions digestOptionsFrom(const common::TServerOptions& tserver);

// The transport settings; when TLS is on without configured certificate files, the self-signed
// certificate under <data-dir>/tls is created if missing and used.
transport::Status transportSettingsFrom(const common::Config& config,
                                        transport::TransportSettings& settings);

}  // namespace sipha::core
