// The call admission decision (docs/authentication.md) without sockets: trusted networks and
// trunk contacts, Extensions with and without a password, the per-source failure limit.
#include "core/call_admission.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>

#include "common/config/config_loader.hpp"

namespace {

using sipha::common::IpAddress;
using sipha::core::AdmissionDecision;
using sipha::core::AdmissionRequest;
using sipha::core::AdmissionVerdict;
using sipha::core::CallAdmission;
using sipha::core::TrustedSources;
using namespace sipha::registrar;
using sipha::timer::TimePoint;
using namespace std::chrono_literals;

constexpr const char* kRealm = "sip.example.com";
constexpr const char* kUri = "sip:9123@sip.example.com";
constexpr std::int64_t kNow = 1'700'000'000;  // wall clock, seconds

sipha::common::Config loadConfig(const std::string& tserverExtra) {
  const std::string text = "[TServer]\nsip-address = 192.0.2.1\nsip-interface = 192.0.2.1\n" +
                           tserverExtra +
                           "[dn:7001]\ntype = Extension\npassword = s3cret\n"
                           "[dn:7002]\ntype = Extension\npassword = other\n"
                           "[dn:7003]\ntype = Extension\n"
                           "[dn:gw1]\ntype = Trunk\nprefix = 9\n"
                           "contact = 198.51.100.10:5060\n"
                           "contact-backup = sip:[2001:db8::10]:5080;transport=tcp, "
                           "gw.example.com:5060\n"
                           "[dn:ss1]\ntype = VoIPService\nservice-type = softswitch\n"
                           "contact = 198.51.100.20\n"
                           "[dn:vm]\ntype = VoIPService\ncontact = 198.51.100.30\n";
  auto loaded = sipha::common::loadConfigText(text, "t.ini");
  const std::string problem = loaded.errors.empty() ? "" : loaded.errors[0].toString();
  BOOST_REQUIRE_MESSAGE(loaded.config.has_value(), problem);
  return std::move(*loaded.config);
}

DigestOptions digestOptions() {
  DigestOptions options;
  options.realm = kRealm;
  options.secret = "0123456789abcdef0123456789abcdef";
  return options;  // MD5, the default
}

class Directory final : public sipha::core::CallerDirectory {
 public:
  explicit Directory(const sipha::common::Config& config) : config_(config) {}

  ExtensionInfo extension(std::string_view user) const override {
    ExtensionInfo info;
    const auto* dn = config_.findDn(user);
    if (dn != nullptr && dn->type == sipha::common::DnType::Extension) {
      info.known = true;
      info.password = dn->password;
    }
    return info;
  }
  bool registeredFrom(std::string_view user, std::string_view,
                      const IpAddress& source) const override {
    return bindings_.count({std::string{user}, source.toString()}) != 0;
  }
  const DigestAuthenticator* authenticator() const override { return &auth_; }

  void bind(const std::string& user, const std::string& address) {
    bindings_.insert({user, address});
  }
  const DigestAuthenticator& auth() const { return auth_; }

 private:
  const sipha::common::Config& config_;
  DigestAuthenticator auth_{digestOptions()};
  std::set<std::pair<std::string, std::string>> bindings_;
};

std::string credentials(std::string_view user, std::string_view password, std::string_view nonce,
                        std::string_view uri = kUri, std::string_view realm = kRealm) {
  const std::string response = computeDigestResponse(
      DigestAlgorithm::Md5,
      {user, realm, password, "INVITE", uri, nonce, "00000001", "0a4f113b", "auth"});
  std::string header = "Digest username=\"";
  header.append(user).append("\", realm=\"").append(realm).append("\", nonce=\"").append(nonce);
  header.append("\", uri=\"").append(uri).append("\", response=\"").append(response);
  header.append("\", algorithm=MD5, cnonce=\"0a4f113b\", qop=auth, nc=00000001");
  return header;
}

struct Fixture {
  explicit Fixture(const std::string& tserverExtra = "",
                   sipha::core::AuthFailureSettings limits = {})
      : config(loadConfig(tserverExtra)), directory(config) {
    std::vector<std::string> names;
    admission.configure(TrustedSources::build(config, names), limits);
    hostNames = names;
  }

  AdmissionDecision call(const std::string& source, std::string_view fromUser,
                         std::string_view authorization = {}, TimePoint now = TimePoint{1000s}) {
    AdmissionRequest request;
    request.source = IpAddress::parse(source).value();
    request.fromUser = fromUser;
    request.fromHost = "sip.example.com";
    request.authorization = authorization;
    request.method = "INVITE";
    request.requestUri = kUri;
    return admission.decide(request, directory, now, kNow);
  }

  sipha::common::Config config;
  Directory directory;
  CallAdmission admission;
  std::vector<std::string> hostNames;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(call_admission)

BOOST_AUTO_TEST_CASE(trusted_networks_match_ipv4_and_ipv6_sources) {
  Fixture f("trusted-networks = 10.0.0.0/8, 2001:db8:1::/48, 203.0.113.5\n");
  // Anyone in a trusted network calls as anyone, no challenge.
  BOOST_TEST((f.call("10.20.30.40", "5555").verdict == AdmissionVerdict::Trusted));
  BOOST_TEST((f.call("2001:db8:1:ffff::9", "").verdict == AdmissionVerdict::Trusted));
  BOOST_TEST((f.call("203.0.113.5", "7001").verdict == AdmissionVerdict::Trusted));
  BOOST_TEST((f.call("::ffff:10.0.0.1", "5555").verdict == AdmissionVerdict::Trusted));
  // Outside them: the From user decides.
  BOOST_TEST((f.call("11.0.0.1", "5555").verdict == AdmissionVerdict::Unknown));
  BOOST_TEST((f.call("2001:db8:2::1", "5555").verdict == AdmissionVerdict::Unknown));
  BOOST_TEST((f.call("203.0.113.6", "7001").verdict == AdmissionVerdict::Challenge));
}

BOOST_AUTO_TEST_CASE(trunk_and_softswitch_contacts_are_trusted_host_names_are_not) {
  Fixture f;
  BOOST_TEST((f.call("198.51.100.10", "anyone").verdict == AdmissionVerdict::Trusted));
  BOOST_TEST((f.call("2001:db8::10", "anyone").verdict == AdmissionVerdict::Trusted));
  BOOST_TEST((f.call("198.51.100.20", "anyone").verdict == AdmissionVerdict::Trusted));
  // A VoIP Service DN that is not a softswitch sends no calls: not trusted.
  BOOST_TEST((f.call("198.51.100.30", "anyone").verdict == AdmissionVerdict::Unknown));
  BOOST_TEST((f.call("198.51.100.11", "anyone").verdict == AdmissionVerdict::Unknown));
  BOOST_REQUIRE_EQUAL(f.hostNames.size(), 1u);
  BOOST_TEST(f.hostNames[0] == "DN gw1 contact-backup host gw.example.com");
  BOOST_TEST(f.admission.trusted().hostCount() == 3u);
  BOOST_TEST(f.admission.trusted().networkCount() == 0u);
}

BOOST_AUTO_TEST_CASE(an_extension_with_a_password_is_challenged_then_admitted) {
  Fixture f;
  const AdmissionDecision first = f.call("192.0.2.50", "7001");
  BOOST_TEST((first.verdict == AdmissionVerdict::Challenge));
  BOOST_TEST(!first.stale);
  const std::string nonce = f.directory.auth().makeNonce(kNow);
  const AdmissionDecision second =
      f.call("192.0.2.50", "7001", credentials("7001", "s3cret", nonce));
  BOOST_TEST((second.verdict == AdmissionVerdict::Authenticated));
  // The same credentials from another address work too (digest, not the address, decides).
  BOOST_TEST((f.call("192.0.2.51", "7001", credentials("7001", "s3cret", nonce)).verdict ==
              AdmissionVerdict::Authenticated));
}

BOOST_AUTO_TEST_CASE(wrong_credentials_are_challenged_again_and_counted_as_failures) {
  Fixture f;
  const std::string nonce = f.directory.auth().makeNonce(kNow);
  const AdmissionDecision wrong = f.call("192.0.2.50", "7001", credentials("7001", "guess", nonce));
  BOOST_TEST((wrong.verdict == AdmissionVerdict::Failed));
  BOOST_TEST((wrong.digest == DigestVerdict::WrongResponse));
  // A nonce sipd did not issue (one from before a restart): challenged, no failure, since no
  // password was checked against it.
  const AdmissionDecision forged =
      f.call("192.0.2.50", "7001", credentials("7001", "s3cret", std::string(48, '0')));
  BOOST_TEST((forged.verdict == AdmissionVerdict::Challenge));
  BOOST_TEST((forged.digest == DigestVerdict::BadNonce));
  BOOST_TEST(!forged.stale);
  const AdmissionDecision otherUri = f.call(
      "192.0.2.50", "7001", credentials("7001", "s3cret", nonce, "sip:7002@sip.example.com"));
  BOOST_TEST((otherUri.digest == DigestVerdict::WrongUri));
  const AdmissionDecision otherRealm = f.call(
      "192.0.2.50", "7001", credentials("7001", "s3cret", nonce, kUri, "elsewhere.example.com"));
  BOOST_TEST((otherRealm.digest == DigestVerdict::WrongRealm));
  BOOST_TEST(
      (f.call("192.0.2.50", "7001", "Basic Zm9vOmJhcg==").digest == DigestVerdict::Malformed));
  BOOST_TEST(f.admission.failures().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_stale_nonce_with_the_right_password_gets_a_stale_challenge) {
  Fixture f;
  const std::string old = f.directory.auth().makeNonce(kNow - 3600);
  const AdmissionDecision stale = f.call("192.0.2.50", "7001", credentials("7001", "s3cret", old));
  BOOST_TEST((stale.verdict == AdmissionVerdict::Challenge));
  BOOST_TEST(stale.stale);
  BOOST_TEST(f.admission.failures().size() == 0u);  // not a failure
}

BOOST_AUTO_TEST_CASE(own_credentials_do_not_call_as_another_extension) {
  Fixture f;
  const std::string nonce = f.directory.auth().makeNonce(kNow);
  // 7001's valid credentials, From 7002: refused, whatever the password.
  const AdmissionDecision decision =
      f.call("192.0.2.50", "7002", credentials("7001", "s3cret", nonce));
  BOOST_TEST((decision.verdict == AdmissionVerdict::WrongUser));
  BOOST_TEST((f.call("192.0.2.50", "7002", credentials("7002", "other", nonce)).verdict ==
              AdmissionVerdict::Authenticated));
}

BOOST_AUTO_TEST_CASE(an_extension_without_password_calls_only_from_its_binding_address) {
  Fixture f;
  BOOST_TEST((f.call("192.0.2.70", "7003").verdict == AdmissionVerdict::Unregistered));
  f.directory.bind("7003", "192.0.2.70");
  BOOST_TEST((f.call("192.0.2.70", "7003").verdict == AdmissionVerdict::Registered));
  BOOST_TEST((f.call("192.0.2.71", "7003").verdict == AdmissionVerdict::Unregistered));
  // A binding of 7003 does not let that address call as 7001 (which has a password).
  BOOST_TEST((f.call("192.0.2.70", "7001").verdict == AdmissionVerdict::Challenge));
}

BOOST_AUTO_TEST_CASE(unknown_callers_are_refused) {
  Fixture f;
  BOOST_TEST((f.call("192.0.2.80", "5555").verdict == AdmissionVerdict::Unknown));
  BOOST_TEST((f.call("192.0.2.80", "").verdict == AdmissionVerdict::Unknown));
  BOOST_TEST((f.call("192.0.2.80", "gw1").verdict == AdmissionVerdict::Unknown));  // a Trunk DN
}

BOOST_AUTO_TEST_CASE(the_failure_limit_blocks_a_guessing_source_even_with_the_right_password) {
  Fixture f("", {3, 60s, 4096});
  const std::string nonce = f.directory.auth().makeNonce(kNow);
  const TimePoint t{1000s};
  BOOST_TEST((f.call("192.0.2.90", "7001", credentials("7001", "a", nonce), t).verdict ==
              AdmissionVerdict::Failed));
  BOOST_TEST((f.call("192.0.2.90", "5555", {}, t).verdict == AdmissionVerdict::Unknown));
  const AdmissionDecision third = f.call("192.0.2.90", "7001", credentials("7001", "b", nonce), t);
  BOOST_TEST((third.verdict == AdmissionVerdict::Failed));
  BOOST_TEST(third.sourceBlocked);
  // Blocked: refused without any check, the right password included.
  BOOST_TEST((f.call("192.0.2.90", "7001", credentials("7001", "s3cret", nonce), t + 1s).verdict ==
              AdmissionVerdict::Blocked));
  BOOST_TEST((f.call("192.0.2.90", "7001", {}, t + 59s).verdict == AdmissionVerdict::Blocked));
  // Other sources are not affected; trusted ones never are.
  BOOST_TEST((f.call("192.0.2.91", "7001", credentials("7001", "s3cret", nonce), t + 1s).verdict ==
              AdmissionVerdict::Authenticated));
  // The window passes: the right password calls again.
  BOOST_TEST((f.call("192.0.2.90", "7001", credentials("7001", "s3cret", nonce), t + 60s).verdict ==
              AdmissionVerdict::Authenticated));
}

BOOST_AUTO_TEST_CASE(challenges_and_successes_are_not_failures) {
  Fixture f("", {2, 60s, 4096});
  const std::string nonce = f.directory.auth().makeNonce(kNow);
  for (int i = 0; i < 10; ++i) {
    BOOST_TEST((f.call("192.0.2.95", "7001").verdict == AdmissionVerdict::Challenge));
    BOOST_TEST((f.call("192.0.2.95", "7001", credentials("7001", "s3cret", nonce)).verdict ==
                AdmissionVerdict::Authenticated));
  }
  BOOST_TEST(f.admission.failures().size() == 0u);
}

BOOST_AUTO_TEST_CASE(refusals_from_many_sources_stay_within_the_table_bound) {
  Fixture f("", {5, 60s, 64});
  std::size_t evicted = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string source = "10.9." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    evicted += f.call(source, "5555").evicted ? 1 : 0;
  }
  BOOST_TEST(f.admission.failures().size() == 64u);
  BOOST_TEST(evicted == 5000u - 64u);
}

BOOST_AUTO_TEST_SUITE_END()
