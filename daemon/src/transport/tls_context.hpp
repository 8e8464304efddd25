#pragma once
// OpenSSL contexts for SIP over TLS (RFC 3261 section 26.2.1; TLS 1.2 minimum). Built once per
// (re)configuration; connections keep a reference to the context they were created with.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "transport/settings.hpp"
#include "transport/status.hpp"

namespace sipha::transport {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

struct SslDeleter {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// The OpenSSL error queue as one line (and cleared), for logs and Status messages.
std::string drainOpenSslErrors();

// Server side: certificate + key (checked to match), optional CA file; verifyClient requires a
// client certificate (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
Status createServerContext(const TlsSettings& settings, SslCtxPtr& out);

// Client side (trunks): presents the certificate when configured; verifies the server when a CA
// file is configured.
Status createClientContext(const TlsSettings& settings, SslCtxPtr& out);

}  // namespace sipha::transport
