#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "test_support.hpp"
#include "transport/self_signed_certificate.hpp"

using namespace sipha::transport;
using namespace sipha::transport::test;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(self_signed_certificate)

BOOST_AUTO_TEST_CASE(generated_once_with_private_key_mode) {
  TempDir dir;
  CertificatePaths paths;
  const Status status = ensureSelfSignedCertificate(dir.path(), "10.0.0.100", paths);
  BOOST_REQUIRE_MESSAGE(status.ok(), status.message());
  BOOST_TEST(paths.certificateFile == dir.path() + "/tls/sipd.crt");
  BOOST_TEST(paths.privateKeyFile == dir.path() + "/tls/sipd.key");
  struct stat info {};
  BOOST_REQUIRE_EQUAL(::stat(paths.privateKeyFile.c_str(), &info), 0);
  BOOST_TEST((info.st_mode & 0777) == 0600u);

  FILE* file = std::fopen(paths.certificateFile.c_str(), "r");
  BOOST_REQUIRE(file != nullptr);
  X509* certificate = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  BOOST_REQUIRE(certificate != nullptr);
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof(name));
  BOOST_TEST(std::string(name) == "10.0.0.100");
  // About ten years.
  int days = 0;
  int seconds = 0;
  BOOST_REQUIRE(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(certificate),
                               X509_get0_notAfter(certificate)));
  BOOST_TEST(days >= 3649);
  X509_free(certificate);

  // A second call keeps the existing files.
  const std::string before = readFile(paths.certificateFile);
  CertificatePaths again;
  BOOST_REQUIRE(ensureSelfSignedCertificate(dir.path(), "10.0.0.100", again).ok());
  BOOST_TEST(readFile(again.certificateFile) == before);

  // And the pair is usable by the TLS server.
  Loop loop;
  Node node(loop);
  TransportSettings settings = loopbackSettings();
  settings.tlsPort = 0;
  settings.tls.certificateFile = paths.certificateFile;
  settings.tls.privateKeyFile = paths.privateKeyFile;
  BOOST_TEST(node.manager.start(settings).ok());
}

BOOST_AUTO_TEST_CASE(unwritable_directory_is_an_error) {
  CertificatePaths paths;
  const Status status = ensureSelfSignedCertificate("/nonexistent/dir", "x", paths);
  BOOST_TEST(!status.ok());
  BOOST_TEST(status.message().find("/nonexistent/dir/tls") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
