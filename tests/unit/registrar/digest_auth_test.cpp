#include <boost/test/unit_test.hpp>

#include "registrar/digest_auth.hpp"
#include "test_support.hpp"

using namespace sipha::registrar;
using namespace sipha::registrar::test;

namespace {

std::string nonceOf(const std::string& challenge) {
  const auto start = challenge.find("nonce=\"") + 7;
  return challenge.substr(start, challenge.find('"', start) - start);
}

std::string authorization(std::string_view algorithm, std::string_view user,
                          std::string_view password, std::string_view nonce,
                          std::string_view uri = "sip:sip.example.com") {
  const auto alg = digestAlgorithmFromName(algorithm).value();
  const std::string response = computeDigestResponse(
      alg,
      {user, "sip.example.com", password, "REGISTER", uri, nonce, "00000001", "abcdef", "auth"});
  std::string header = "Digest username=\"";
  header.append(user).append("\", realm=\"sip.example.com\", nonce=\"").append(nonce);
  header.append("\", uri=\"").append(uri).append("\", response=\"").append(response);
  header.append("\", algorithm=").append(algorithm);
  header.append(", cnonce=\"abcdef\", qop=auth, nc=00000001");
  return header;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(digest)

// RFC 7616 3.9.1: the MD5 and SHA-256 examples.
BOOST_AUTO_TEST_CASE(rfc7616_vectors) {
  const DigestInput input{"Mufasa",
                          "http-auth@example.org",
                          "Circle of Life",
                          "GET",
                          "/dir/index.html",
                          "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                          "00000001",
                          "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
                          "auth"};
  BOOST_TEST(computeDigestResponse(DigestAlgorithm::Md5, input) ==
             "8ca523f5e9506fed4657c9700eebdbec");
  BOOST_TEST(computeDigestResponse(DigestAlgorithm::Sha256, input) ==
             "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

BOOST_AUTO_TEST_CASE(parses_a_credential) {
  DigestCredentials c;
  BOOST_TEST(parseDigestCredentials(
      "Digest username=\"bob\",realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"ab\", "
      "algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
      c));
  BOOST_TEST(c.username == "bob");
  BOOST_TEST(c.uri == "sip:x");
  BOOST_TEST(c.algorithm == "SHA-256");
  BOOST_TEST(c.qop == "auth");
  BOOST_TEST(c.nc == "00000001");
  BOOST_TEST(!parseDigestCredentials("Basic Ym9iOnB3", c));
  BOOST_TEST(!parseDigestCredentials("Digest username=\"bob", c));
  BOOST_TEST(!parseDigestCredentials("Digest realm=\"r\"", c));  // no username/response
}

BOOST_AUTO_TEST_CASE(algorithm_option) {
  auto list = parseDigestAlgorithmList("SHA-256,MD5");
  BOOST_TEST_REQUIRE(list.has_value());
  BOOST_TEST(list->size() == 2u);
  BOOST_TEST((list->at(0) == DigestAlgorithm::Sha256));
  BOOST_TEST(parseDigestAlgorithmList("md5, sha-512-256").has_value());
  BOOST_TEST(!parseDigestAlgorithmList("SHA-1").has_value());
  BOOST_TEST(!parseDigestAlgorithmList("").has_value());
}

BOOST_AUTO_TEST_CASE(nonces_are_authentic_and_age) {
  DigestAuthenticator auth(digestOptions());
  const std::string nonce = auth.makeNonce(kT0);
  BOOST_TEST((auth.checkNonce(nonce, kT0 + 10) == DigestAuthenticator::NonceState::Valid));
  BOOST_TEST((auth.checkNonce(nonce, kT0 + 301) == DigestAuthenticator::NonceState::Stale));
  std::string forged = nonce;
  forged[3] = forged[3] == '0' ? '1' : '0';  // move the timestamp
  BOOST_TEST((auth.checkNonce(forged, kT0) == DigestAuthenticator::NonceState::Invalid));
  DigestOptions other = digestOptions();
  other.secret = "another secret";
  BOOST_TEST((DigestAuthenticator(other).checkNonce(nonce, kT0) ==
              DigestAuthenticator::NonceState::Invalid));
}

BOOST_AUTO_TEST_CASE(register_with_password_is_challenged_then_accepted) {
  Registrar registrar(RegistrarOptions{}, extensions(), digestOptions());
  auto r = request("2001", "c1", 1);
  r.contacts = {contact("sip:2001@192.0.2.20")};
  auto result = registrar.handleRegister(r, kT0);
  BOOST_TEST(result.status == 401);
  BOOST_TEST_REQUIRE(result.challenges.size() == 2u);
  BOOST_TEST(result.challenges[0].find("algorithm=SHA-256") != std::string::npos);
  BOOST_TEST(result.challenges[1].find("algorithm=MD5") != std::string::npos);
  BOOST_TEST(result.challenges[0].find("realm=\"sip.example.com\"") != std::string::npos);
  BOOST_TEST(result.challenges[0].find("qop=\"auth\"") != std::string::npos);
  BOOST_TEST(registrar.bindingCount() == 0u);

  const std::string nonce = nonceOf(result.challenges[0]);
  const std::string header = authorization("SHA-256", "2001", "s3cret", nonce);
  r.authorization = header;
  r.cseq = 2;
  BOOST_TEST(registrar.handleRegister(r, kT0 + 1).status == 200);
  const std::string md5 = authorization("MD5", "2001", "s3cret", nonce);
  r.authorization = md5;
  r.cseq = 3;
  BOOST_TEST(registrar.handleRegister(r, kT0 + 2).status == 200);
  BOOST_TEST(registrar.bindingCount() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_credentials_are_challenged_again) {
  Registrar registrar(RegistrarOptions{}, extensions(), digestOptions());
  const std::string nonce = registrar.authenticator().makeNonce(kT0);
  auto r = request("2001", "c1", 1);
  r.contacts = {contact("sip:2001@192.0.2.20")};

  const std::string wrongPassword = authorization("SHA-256", "2001", "guess", nonce);
  r.authorization = wrongPassword;
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 401);
  const std::string wrongUser = authorization("SHA-256", "1001", "s3cret", nonce);
  r.authorization = wrongUser;
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 401);
  const std::string wrongUri =
      authorization("SHA-256", "2001", "s3cret", nonce, "sip:elsewhere.example.com");
  r.authorization = wrongUri;
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 401);
  const std::string forgedNonce = authorization("SHA-256", "2001", "s3cret",
                                                "00000000000000000000000000000000000000000000000a");
  r.authorization = forgedNonce;
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 401);
  BOOST_TEST(registrar.counters().authFailures == 3u);  // a nonce not ours checks no password
  BOOST_TEST(registrar.bindingCount() == 0u);

  DigestOptions shaOnly = digestOptions();
  shaOnly.algorithms = {DigestAlgorithm::Sha256};
  Registrar strict(RegistrarOptions{}, extensions(), shaOnly);
  const std::string md5 = authorization("MD5", "2001", "s3cret", nonce);
  r.authorization = md5;
  BOOST_TEST(strict.handleRegister(r, kT0).status == 401);  // MD5 not offered
}

BOOST_AUTO_TEST_CASE(expired_nonce_with_right_password_is_stale) {
  Registrar registrar(RegistrarOptions{}, extensions(), digestOptions());
  const std::string nonce = registrar.authenticator().makeNonce(kT0);
  const std::string header = authorization("SHA-256", "2001", "s3cret", nonce);
  auto r = request("2001", "c1", 1);
  r.contacts = {contact("sip:2001@192.0.2.20")};
  r.authorization = header;
  auto result = registrar.handleRegister(r, kT0 + 1000);
  BOOST_TEST(result.status == 401);
  BOOST_TEST_REQUIRE(!result.challenges.empty());
  BOOST_TEST(result.challenges[0].find("stale=true") != std::string::npos);
  BOOST_TEST(registrar.counters().authFailures == 0u);  // the right password: not a failure
  // A fresh nonce from that challenge works.
  const std::string fresh =
      authorization("SHA-256", "2001", "s3cret", nonceOf(result.challenges[0]));
  r.authorization = fresh;
  r.cseq = 2;
  BOOST_TEST(registrar.handleRegister(r, kT0 + 1001).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
