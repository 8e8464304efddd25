#include "harness.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "halink/frame_buffer.hpp"
#include "transport/self_signed_certificate.hpp"
#include "transport/tls_context.hpp"

namespace sipha::halink::test {

namespace {

std::string pem(int (*write)(BIO*, const void*), const void* object) {
  BIO* bio = BIO_new(BIO_s_mem());
  BOOST_REQUIRE(bio != nullptr);
  BOOST_REQUIRE_EQUAL(write(bio, object), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return text;
}

int writeCertificate(BIO* bio, const void* certificate) {
  return PEM_write_bio_X509(bio, static_cast<X509*>(const_cast<void*>(certificate)));
}

int writeKey(BIO* bio, const void* key) {
  return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(const_cast<void*>(key)), nullptr,
                                  nullptr, 0, nullptr, nullptr);
}

void addExtension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  BOOST_REQUIRE(extension != nullptr);
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
}

// A certificate for `key`, CN = name, signed by issuerKey (self-signed when issuer is null).
X509* makeCertificate(const std::string& name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey,
                      bool ca) {
  static long serial = 1;
  X509* certificate = X509_new();
  BOOST_REQUIRE(certificate != nullptr);
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 24L * 3600);
  X509_set_pubkey(certificate, key);
  X509_NAME* subject = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : certificate;
  X509_set_issuer_name(certificate, X509_get_subject_name(signer));
  if (ca) {
    addExtension(certificate, signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(certificate, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExtension(certificate, signer, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(certificate, signer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  addExtension(certificate, signer, NID_subject_key_identifier, "hash");
  BOOST_REQUIRE(X509_sign(certificate, issuerKey != nullptr ? issuerKey : key, EVP_sha256()) > 0);
  return certificate;
}

void writeFile(const std::string& path, const std::string& content, unsigned mode) {
  const transport::Status written = transport::writeFileAtomically(path, content, mode);
  BOOST_REQUIRE_MESSAGE(written.ok(), written.message());
}

}  // namespace

Pki::Pki(const TempDir& dir) : dir_(dir) {
  caKey_ = EVP_EC_gen("P-256");
  BOOST_REQUIRE(caKey_ != nullptr);
  caCertificate_ = makeCertificate("sipha pair CA", caKey_, nullptr, nullptr, true);
  caFile_ = dir_.path() + "/ca.crt";
  writeFile(caFile_, pem(writeCertificate, caCertificate_), 0644);
}

Pki::~Pki() {
  X509_free(caCertificate_);
  EVP_PKEY_free(caKey_);
}

Identity Pki::issue(const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  BOOST_REQUIRE(key != nullptr);
  X509* certificate = makeCertificate(name, key, caCertificate_, caKey_, false);
  Identity identity{dir_.path() + "/" + name + ".crt", dir_.path() + "/" + name + ".key"};
  writeFile(identity.certificateFile, pem(writeCertificate, certificate), 0644);
  writeFile(identity.privateKeyFile, pem(writeKey, key), 0600);
  X509_free(certificate);
  EVP_PKEY_free(key);
  return identity;
}

Identity Pki::selfSigned(const std::string& name) {
  std::string certificate;
  std::string key;
  const transport::Status generated = transport::generateSelfSignedPem(name, certificate, key);
  BOOST_REQUIRE_MESSAGE(generated.ok(), generated.message());
  Identity identity{dir_.path() + "/" + name + ".crt", dir_.path() + "/" + name + ".key"};
  writeFile(identity.certificateFile, certificate, 0644);
  writeFile(identity.privateKeyFile, key, 0600);
  return identity;
}

LinkSettings settingsFor(const Identity& identity, const std::string& caFile,
                         const std::string& pinFile) {
  LinkSettings settings;
  settings.certificateFile = identity.certificateFile;
  settings.privateKeyFile = identity.privateKeyFile;
  settings.caFile = caFile;
  settings.peerCertificateFile = pinFile;
  return settings;
}

void Recorder::linkOpen(Connection& connection) {
  open.push_back(&connection);
  if (onOpen) onOpen(connection);
}

void Recorder::linkFrame(Connection& connection, std::string_view frame) {
  frames.emplace_back(frame);
  if (onFrame) onFrame(connection, frame);
}

void Recorder::linkClosed(Connection& connection, CloseReason reason, std::string_view detail) {
  open.erase(std::remove(open.begin(), open.end(), &connection), open.end());
  closed.push_back(Closed{connection.id(), reason, std::string(detail), connection.opened(),
                          connection.inbound()});
  BOOST_TEST_MESSAGE("linkClosed #" << connection.id() << " " << connection.peerAddress() << ": "
                                    << closeReasonName(reason) << ": " << detail);
}

Node::Node(Loop& loop, const LinkSettings& settings) : link(loop.get(), handler) {
  std::string error;
  BOOST_REQUIRE_MESSAGE(link.configure(settings, error), error);
}

Pair::Pair() = default;

void Pair::open(const LinkSettings& serverSettings, const LinkSettings& clientSettings) {
  server = std::make_unique<Node>(loop, serverSettings);
  client = std::make_unique<Node>(loop, clientSettings);
  std::string error;
  BOOST_REQUIRE_MESSAGE(server->link.listen("127.0.0.1", 0, error), error);
  BOOST_REQUIRE(server->link.listenPort() != 0);
  BOOST_REQUIRE_MESSAGE(client->link.connect("127.0.0.1", server->link.listenPort(), error), error);
  BOOST_REQUIRE(loop.runUntil(
      [&] { return server->handler.open.size() == 1 && client->handler.open.size() == 1; }));
}

void Pair::open() {
  open(settingsFor(serverIdentity, pki.caFile()), settingsFor(clientIdentity, pki.caFile()));
}

RawTlsClient::RawTlsClient(Loop& loop, const Identity& identity, std::uint16_t port) : loop_(loop) {
  BOOST_REQUIRE_EQUAL(socket_.connectTcp("127.0.0.1", port), 0);
  ctx_ = SSL_CTX_new(TLS_client_method());
  BOOST_REQUIRE(ctx_ != nullptr);
  SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
  BOOST_REQUIRE_EQUAL(
      SSL_CTX_use_certificate_file(ctx_, identity.certificateFile.c_str(), SSL_FILETYPE_PEM), 1);
  BOOST_REQUIRE_EQUAL(
      SSL_CTX_use_PrivateKey_file(ctx_, identity.privateKeyFile.c_str(), SSL_FILETYPE_PEM), 1);
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, socket_.fd());
  BOOST_REQUIRE(loop_.runUntil([&] {
    ERR_clear_error();
    const int r = SSL_connect(ssl_);
    if (r == 1) return true;
    const int error = SSL_get_error(ssl_, r);
    BOOST_REQUIRE_MESSAGE(error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE,
                          "raw client handshake: " << transport::drainOpenSslErrors());
    return false;
  }));
}

RawTlsClient::~RawTlsClient() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

void RawTlsClient::write(std::string_view bytes) {
  BOOST_REQUIRE_EQUAL(SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())),
                      static_cast<int>(bytes.size()));
  loop_.drain();
}

bool RawTlsClient::closedByServer() {
  char buffer[4096];
  for (;;) {
    ERR_clear_error();
    const int r = SSL_read(ssl_, buffer, sizeof(buffer));
    if (r > 0) continue;
    const int error = SSL_get_error(ssl_, r);
    ERR_clear_error();
    return error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE;
  }
}

std::string frameBytes(std::string_view body) {
  std::string bytes;
  appendFrameHeader(bytes, static_cast<std::uint32_t>(body.size()));
  bytes.append(body);
  return bytes;
}

}  // namespace sipha::halink::test
