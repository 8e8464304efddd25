#include "transport/self_signed_certificate.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "transport/tls_context.hpp"

namespace sipha::transport {

namespace {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;

Status sslFailure(const std::string& what) {
  return Status::failure(std::make_error_code(std::errc::io_error),
                         what + ": " + drainOpenSslErrors());
}

Status systemFailure(const std::string& what, int error) {
  return Status::failure(errnoCode(error), what + ": " + std::string(strerror(error)));
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

bool fileExists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

Status makeDirectory(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return systemFailure("mkdir " + path, errno);
  }
  return Status::success();
}

bool addExtension(X509* certificate, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, certificate, certificate, nullptr, nullptr, 0);
  ExtPtr extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return extension && X509_add_ext(certificate, extension.get(), -1) == 1;
}

}  // namespace

Status generateSelfSignedPem(const std::string& commonName, std::string& certificatePem,
                             std::string& privateKeyPem) {
  ERR_clear_error();
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return sslFailure("EC key generation");
  X509Ptr certificate(X509_new());
  if (!certificate) return sslFailure("X509_new");
  X509_set_version(certificate.get(), 2);  // v3
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial)) != 1) {
    return sslFailure("RAND_bytes");
  }
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate.get()), serial >> 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(certificate.get(), key.get());
  X509_NAME* name = X509_get_subject_name(certificate.get());
  const std::string cn = commonName.empty() ? std::string("sipd") : commonName;
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  unsigned char probe[sizeof(in6_addr)];
  const bool isIp =
      inet_pton(AF_INET, cn.c_str(), probe) == 1 || inet_pton(AF_INET6, cn.c_str(), probe) == 1;
  if (!addExtension(certificate.get(), NID_subject_alt_name, (isIp ? "IP:" : "DNS:") + cn) ||
      !addExtension(certificate.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !addExtension(certificate.get(), NID_subject_key_identifier, "hash")) {
    return sslFailure("certificate extensions");
  }
  if (X509_sign(certificate.get(), key.get(), EVP_sha256()) == 0) return sslFailure("X509_sign");

  BioPtr keyBio(BIO_new(BIO_s_mem()));
  BioPtr certBio(BIO_new(BIO_s_mem()));
  if (!keyBio || !certBio ||
      PEM_write_bio_PrivateKey(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(certBio.get(), certificate.get()) != 1) {
    return sslFailure("PEM encoding");
  }
  privateKeyPem = bioText(keyBio.get());
  certificatePem = bioText(certBio.get());
  return Status::success();
}

Status writeFileAtomically(const std::string& path, const std::string& content, unsigned mode) {
  const std::size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string temporary = path + ".XXXXXX";
  std::vector<char> pattern(temporary.begin(), temporary.end());
  pattern.push_back('\0');
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) return systemFailure("create " + temporary, errno);
  temporary.assign(pattern.data());
  auto fail = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    return systemFailure(what + " " + temporary, error);
  };
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("fchmod");
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return systemFailure("close " + temporary, error);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return systemFailure("rename to " + path, error);
  }
  const int dirFd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return Status::success();
}

Status ensureSelfSignedCertificate(const std::string& dataDir, const std::string& commonName,
                                   CertificatePaths& paths) {
  const std::string directory = dataDir + "/tls";
  paths.certificateFile = directory + "/sipd.crt";
  paths.privateKeyFile = directory + "/sipd.key";
  if (fileExists(paths.certificateFile) && fileExists(paths.privateKeyFile)) {
    return Status::success();
  }
  if (Status status = makeDirectory(directory, 0700); !status) return status;
  std::string certificatePem;
  std::string keyPem;
  if (Status status = generateSelfSignedPem(commonName, certificatePem, keyPem); !status) {
    return status;
  }
  // Key first: a crash in between leaves no certificate, so the next start regenerates both.
  if (Status status = writeFileAtomically(paths.privateKeyFile, keyPem, 0600); !status) {
    return status;
  }
  return writeFileAtomically(paths.certificateFile, certificatePem, 0644);
}

}  // namespace sipha::transport
