#include "transport/tls_context.hpp"

#include <openssl/err.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace sipha::transport {

namespace {

Status tlsFailure(const std::string& what) {
  return Status::failure(std::make_error_code(std::errc::invalid_argument),
                         what + ": " + drainOpenSslErrors());
}

Status commonSetup(SSL_CTX* ctx, const TlsSettings& settings, bool requireCertificate) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  const bool haveCertificate = !settings.certificateFile.empty();
  if (requireCertificate && (!haveCertificate || settings.privateKeyFile.empty())) {
    return Status::failure(std::make_error_code(std::errc::invalid_argument),
                           "TLS needs a certificate and a private key file");
  }
  if (haveCertificate) {
    if (SSL_CTX_use_certificate_chain_file(ctx, settings.certificateFile.c_str()) != 1) {
      return tlsFailure("cannot load TLS certificate " + settings.certificateFile);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, settings.privateKeyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
      return tlsFailure("cannot load TLS private key " + settings.privateKeyFile);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return tlsFailure("TLS private key " + settings.privateKeyFile +
                        " does not match certificate " + settings.certificateFile);
    }
  }
  if (!settings.caFile.empty() &&
      SSL_CTX_load_verify_locations(ctx, settings.caFile.c_str(), nullptr) != 1) {
    return tlsFailure("cannot load TLS CA file " + settings.caFile);
  }
  return Status::success();
}

}  // namespace

std::string drainOpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    std::array<char, 256> line{};
    ERR_error_string_n(code, line.data(), line.size());
    if (!text.empty()) text += "; ";
    text += line.data();
  }
  return text.empty() ? std::string("unknown TLS error") : text;
}

Status createServerContext(const TlsSettings& settings, SslCtxPtr& out) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return tlsFailure("SSL_CTX_new");
  if (Status status = commonSetup(ctx.get(), settings, true); !status) return status;
  if (settings.verifyClient) {
    if (settings.caFile.empty()) {
      return Status::failure(std::make_error_code(std::errc::invalid_argument),
                             "sip-tls-verify-client needs a CA file");
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    if (auto* names = SSL_load_client_CA_file(settings.caFile.c_str())) {
      SSL_CTX_set_client_CA_list(ctx.get(), names);
    }
    ERR_clear_error();
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  out = std::move(ctx);
  return Status::success();
}

Status createClientContext(const TlsSettings& settings, SslCtxPtr& out) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return tlsFailure("SSL_CTX_new");
  if (Status status = commonSetup(ctx.get(), settings, false); !status) return status;
  SSL_CTX_set_verify(ctx.get(), settings.caFile.empty() ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                     nullptr);
  out = std::move(ctx);
  return Status::success();
}

}  // namespace sipha::transport
