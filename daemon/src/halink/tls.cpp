#include "halink/tls.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>

namespace sipha::halink {

namespace {

constexpr unsigned char kSessionContext[] = "sipha-halink";

// Replaces OpenSSL's chain verification (SSL_CTX_set_cert_verify_callback): the pin, when set,
// must match exactly; the chain, when a CA is set, must verify. SSL_get_verify_result() then
// holds the error set here.
int verifyPeer(X509_STORE_CTX* store, void* argument) {
  const auto& contexts = *static_cast<const TlsContexts*>(argument);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (leaf == nullptr) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  if (!contexts.pinnedDer.empty()) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(leaf, &der);
    const bool same = length > 0 && static_cast<std::size_t>(length) == contexts.pinnedDer.size() &&
                      std::memcmp(der, contexts.pinnedDer.data(), contexts.pinnedDer.size()) == 0;
    OPENSSL_free(der);
    if (!same) {
      X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
      return 0;
    }
  }
  if (contexts.verifyChain) return X509_verify_cert(store);
  // A pin alone: the certificate is the one expected; its dates still apply.
  if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_NOT_YET_VALID);
    return 0;
  }
  if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_HAS_EXPIRED);
    return 0;
  }
  return 1;
}

int onNewSessionTicket(SSL* ssl, SSL_SESSION*) {
  if (auto* confirmed = static_cast<bool*>(SSL_get_app_data(ssl))) *confirmed = true;
  return 0;  // not kept: the link never resumes a session
}

bool loadPin(const std::string& file, std::string& der, std::string& error) {
  ERR_clear_error();
  BIO* bio = BIO_new_file(file.c_str(), "r");
  X509* certificate = bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  const int length = certificate != nullptr ? i2d_X509(certificate, nullptr) : -1;
  if (length <= 0) {
    X509_free(certificate);
    error = "cannot load peer certificate " + file + ": " + transport::drainOpenSslErrors();
    return false;
  }
  der.resize(static_cast<std::size_t>(length));
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(certificate, &out);
  X509_free(certificate);
  return true;
}

bool restrictContext(SSL_CTX* ctx, const TlsContexts& contexts) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    return false;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, verifyPeer, const_cast<TlsContexts*>(&contexts));
  SSL_CTX_set_read_ahead(ctx, 1);  // fewer recv() calls for many small records
  return true;
}

}  // namespace

bool buildTlsContexts(const LinkSettings& settings, std::shared_ptr<const TlsContexts>& out,
                      std::string& error) {
  if (settings.certificateFile.empty() || settings.privateKeyFile.empty()) {
    error = "the HA link needs a certificate file and a private key file";
    return false;
  }
  if (settings.caFile.empty() && settings.peerCertificateFile.empty()) {
    error = "the HA link needs a CA file or a pinned peer certificate file";
    return false;
  }
  auto contexts = std::make_shared<TlsContexts>();
  const transport::TlsSettings files{settings.certificateFile, settings.privateKeyFile,
                                     settings.caFile, false};
  if (transport::Status status = transport::createServerContext(files, contexts->server); !status) {
    error = status.message();
    return false;
  }
  if (transport::Status status = transport::createClientContext(files, contexts->client); !status) {
    error = status.message();
    return false;
  }
  if (!settings.peerCertificateFile.empty() &&
      !loadPin(settings.peerCertificateFile, contexts->pinnedDer, error)) {
    return false;
  }
  contexts->verifyChain = !settings.caFile.empty();
  SSL_CTX* server = contexts->server.get();
  SSL_CTX* client = contexts->client.get();
  if (!restrictContext(server, *contexts) || !restrictContext(client, *contexts)) {
    error = "TLS 1.3 is not available: " + transport::drainOpenSslErrors();
    return false;
  }
  // The server sends one ticket after the client's certificate is verified (the client's
  // confirmation, see newConnectionSsl) but never resumes: stateful tickets, no session cache.
  SSL_CTX_set_session_id_context(server, kSessionContext, sizeof(kSessionContext) - 1);
  SSL_CTX_set_options(server, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(server, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(server, 1);
  SSL_CTX_set_session_cache_mode(client, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(client, onNewSessionTicket);
  if (!settings.caFile.empty()) {
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings.caFile.c_str())) {
      SSL_CTX_set_client_CA_list(server, names);
    }
  }
  ERR_clear_error();
  out = std::move(contexts);
  return true;
}

transport::SslPtr newConnectionSsl(const TlsContexts& contexts, bool inbound, BIO* bio,
                                   bool& confirmed) {
  transport::SslPtr ssl(SSL_new(inbound ? contexts.server.get() : contexts.client.get()));
  if (!ssl) {
    BIO_free(bio);
    return ssl;
  }
  SSL_set_bio(ssl.get(), bio, bio);  // takes the one reference
  SSL_set_app_data(ssl.get(), &confirmed);
  if (inbound) {
    SSL_set_accept_state(ssl.get());
  } else {
    SSL_set_connect_state(ssl.get());
  }
  return ssl;
}

std::string describeHandshakeFailure(SSL* ssl, int sslError, bool pinned, bool& refusedByUs) {
  const int savedErrno = errno;
  refusedByUs = false;
  const long verify = SSL_get_verify_result(ssl);
  const int reason = ERR_GET_REASON(ERR_peek_error());
  std::string text;
  if (verify != X509_V_OK) {
    refusedByUs = true;
    text = std::string("peer certificate refused: ") + X509_verify_cert_error_string(verify);
    if (verify == X509_V_ERR_CERT_REJECTED && pinned) text += " (not the pinned certificate)";
  } else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    refusedByUs = true;
    text = "the peer presented no certificate";
  } else if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
    text = "the peer refused the handshake: " + transport::drainOpenSslErrors();
  } else if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING || sslError == SSL_ERROR_ZERO_RETURN ||
             (sslError == SSL_ERROR_SYSCALL && savedErrno == 0)) {
    text = "the peer closed the connection during the TLS handshake";
  } else if (sslError == SSL_ERROR_SYSCALL) {
    text = std::string("TLS handshake: ") + std::strerror(savedErrno);
  } else {
    text = "TLS handshake failed: " + transport::drainOpenSslErrors();
  }
  ERR_clear_error();
  return text;
}

std::string peerCommonName(SSL* ssl) {
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) return {};
  X509_NAME* subject = X509_get_subject_name(certificate);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  unsigned char* utf8 = nullptr;
  const int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (length < 0) return {};
  std::string name(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return name;
}

}  // namespace sipha::halink
