#pragma once
// A certificate for sip-port-tls when the operator configured none: a self-signed EC P-256
// certificate, CN = sip-address (also as subjectAltName), valid 10 years, stored on the data
// partition as <dataDir>/tls/sipd.crt and sipd.key (0600), each written atomically.
#include <string>

#include "transport/status.hpp"

namespace sipha::transport {

struct CertificatePaths {
  std::string certificateFile;
  std::string privateKeyFile;
};

// Creates <dataDir>/tls (0700) and both files unless both already exist; fills `paths` either way.
Status ensureSelfSignedCertificate(const std::string& dataDir, const std::string& commonName,
                                   CertificatePaths& paths);

// Generates a new key + certificate as PEM text (used by the above and by tests).
Status generateSelfSignedPem(const std::string& commonName, std::string& certificatePem,
                             std::string& privateKeyPem);

// Writes `content` to `path` atomically: temp file in the same directory, fchmod(mode), fsync,
// rename, fsync of the directory.
Status writeFileAtomically(const std::string& path, const std::string& content, unsigned mode);

}  // namespace sipha::transport
