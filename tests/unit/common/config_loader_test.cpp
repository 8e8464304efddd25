#include <boost/test/unit_test.hpp>

#include "common/config/config_loader.hpp"

using namespace sipha::common;

namespace {

// The configuration the outside acceptance check uses (issue "sipd: the SIP core").
const char* const kAcceptanceConfig = R"([TServer]
sip-address = 127.0.0.1
sip-interface = 127.0.0.1
sip-port = 25060
sip-port-tls = 25061
internal-registrar-enabled = true
internal-registrar-persistent = true
sip-hold-rfc3264 = true

[appliance]
data-dir = /tmp/sipd-data

[dn:7001]
type = Extension

[dn:gw1]
type = Trunk
contact = 127.0.0.1:25090
prefix = 9
replace-prefix =
)";

std::string firstError(const ConfigLoadResult& result) {
  return result.errors.empty() ? std::string{} : result.errors.front().toString();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_loader)

BOOST_AUTO_TEST_CASE(acceptance_configuration_loads) {
  const auto result = loadConfigText(kAcceptanceConfig, "sipd.ini");
  BOOST_TEST_REQUIRE(result.errors.empty(), firstError(result));
  const Config& config = *result.config;
  BOOST_TEST(config.tserver.sipAddress == "127.0.0.1");
  BOOST_TEST(config.tserver.sipPort == 25060);
  BOOST_TEST(config.tserver.sipPortTls == 25061);
  BOOST_TEST(config.tserver.internalRegistrarPersistent);
  BOOST_TEST(config.appliance.dataDir == "/tmp/sipd-data");
  BOOST_TEST((config.ha.mode == HaMode::Standalone));
  BOOST_TEST(config.tserver.authenticationRealm == "127.0.0.1");
  BOOST_REQUIRE(config.findDn("7001") != nullptr);
  BOOST_TEST((config.findDn("7001")->type == DnType::Extension));
  BOOST_REQUIRE(config.findDn("gw1") != nullptr);
  BOOST_TEST(config.findDn("gw1")->options.at("contact") == "127.0.0.1:25090");
  BOOST_TEST(config.findDn("gw1")->options.at("replace-prefix").empty());
  BOOST_TEST(config.findDn("nope") == nullptr);
}

BOOST_AUTO_TEST_CASE(ipv6_addresses_are_accepted) {
  const auto result =
      loadConfigText("[TServer]\nsip-address = 2001:db8::1\nsip-interface = ::1\n", "f.ini");
  BOOST_TEST_REQUIRE(result.errors.empty(), firstError(result));
  BOOST_TEST(result.config->tserver.sipInterface == "::1");
}

BOOST_AUTO_TEST_CASE(bad_values_name_file_line_option_and_reason) {
  const auto result = loadConfigText(
      "[TServer]\nsip-address = 127.0.0.1\nsip-interface = 127.0.0.1\nsip-port = 70000\n"
      "internal-registrar-enabled = maybe\nsip-adress = 1.2.3.4\n[dn:gw]\ntype = Trunk\n"
      "oos-check = 301\n[dn:x]\ntype = Phone\n",
      "bad.ini");
  BOOST_TEST(!result.config.has_value());
  BOOST_REQUIRE_EQUAL(result.errors.size(), 5u);
  BOOST_TEST(result.errors[0].toString() ==
             "bad.ini:4: option 'TServer.sip-port': 70000 is out of range (allowed 1-65535)");
  BOOST_TEST(result.errors[1].line == 5);
  BOOST_TEST(result.errors[1].reason == "expected true or false, got 'maybe'");
  BOOST_TEST(result.errors[2].toString() ==
             "bad.ini:6: option 'TServer.sip-adress': unknown option");
  BOOST_TEST(result.errors[3].toString() ==
             "bad.ini:9: option 'dn:gw.oos-check': 301 is out of range (allowed 0-300)");
  BOOST_TEST(result.errors[4].line == 11);
}

BOOST_AUTO_TEST_CASE(missing_required_options_are_reported) {
  const auto result = loadConfigText("[appliance]\ndata-dir = /x\n", "f.ini");
  BOOST_REQUIRE_EQUAL(result.errors.size(), 1u);
  BOOST_TEST(result.errors[0].reason == "the [TServer] section is required");
  const auto noAddress = loadConfigText("[TServer]\nsip-port = 5060\n", "f.ini");
  BOOST_REQUIRE_EQUAL(noAddress.errors.size(), 2u);
  BOOST_TEST(noAddress.errors[0].option == "TServer.sip-address");
}

BOOST_AUTO_TEST_CASE(dn_without_type_and_unknown_section) {
  const auto result = loadConfigText(
      "[TServer]\nsip-address = 1.1.1.1\nsip-interface = 1.1.1.1\n[dn:7001]\npassword = "
      "x\n[bogus]\n",
      "f.ini");
  BOOST_REQUIRE_EQUAL(result.errors.size(), 2u);
  BOOST_TEST(result.errors[0].option == "dn:7001.type");
  BOOST_TEST(result.errors[1].reason == "unknown section");
}

BOOST_AUTO_TEST_CASE(ha_mode_pair) {
  const auto result = loadConfigText(
      "[TServer]\nsip-address = 1.1.1.1\nsip-interface = 1.1.1.2\n[ha]\nmode = pair\n", "f.ini");
  BOOST_TEST_REQUIRE(result.errors.empty(), firstError(result));
  BOOST_TEST((result.config->ha.mode == HaMode::Pair));
  const auto bad = loadConfigText(
      "[TServer]\nsip-address = 1.1.1.1\nsip-interface = 1.1.1.2\n[ha]\nmode = trio\n", "f.ini");
  BOOST_REQUIRE_EQUAL(bad.errors.size(), 1u);
  BOOST_TEST(bad.errors[0].line == 5);
}

BOOST_AUTO_TEST_CASE(ha_replication_options) {
  const auto result = loadConfigText(
      "[TServer]\nsip-address = 1.1.1.1\nsip-interface = 1.1.1.2\n[appliance]\nnode-name = "
      "east\n[ha]\nmode = pair\npeer-address = 10.9.9.2\ncertificate = /d/a.crt\n"
      "private-key = /d/a.key\nca = /d/ca.crt\nreplication-port = 6000\n"
      "replication-ack-timeout-ms = 250\nheartbeat-interval = 1\n",
      "f.ini");
  BOOST_TEST_REQUIRE(result.errors.empty(), firstError(result));
  const auto& r = result.config->ha.replication;
  BOOST_TEST(r.enabled());
  BOOST_TEST(r.nodeId == "east");      // from [appliance] node-name
  BOOST_TEST(r.address == "1.1.1.2");  // sip-interface
  BOOST_TEST(r.port == 6000);
  BOOST_TEST(r.peerPort == 6000);  // defaults to replication-port
  BOOST_TEST(r.ackTimeoutMs == 250u);
  BOOST_TEST(result.config->ha.raw.count("heartbeat-interval") == 1u);  // the agent's, kept

  // Without peer-address nothing is required (a pair node that replicates to nobody).
  const auto alone = loadConfigText(
      "[TServer]\nsip-address = 1.1.1.1\nsip-interface = 1.1.1.2\n[ha]\nmode = pair\n", "f.ini");
  BOOST_TEST_REQUIRE(alone.errors.empty(), firstError(alone));
  BOOST_TEST(!alone.config->ha.replication.enabled());
}

BOOST_AUTO_TEST_CASE(ha_replication_errors_name_line_and_option) {
  const auto result = loadConfigText(
      "[TServer]\nsip-address = 1.1.1.1\nsip-interface = 1.1.1.2\n[ha]\nmode = pair\n"
      "peer-address = not-an-ip\nreplication-port = 0\ncertificate = relative.crt\n"
      "replication-ack-timeout-ms = 5\n",
      "ha.ini");
  BOOST_REQUIRE_EQUAL(result.errors.size(), 4u);
  BOOST_TEST(result.errors[0].line == 6);
  BOOST_TEST(result.errors[0].option == "ha.peer-address");
  BOOST_TEST(result.errors[1].toString() ==
             "ha.ini:7: option 'ha.replication-port': 0 is out of range (allowed 1-65535)");
  BOOST_TEST(result.errors[2].option == "ha.certificate");
  BOOST_TEST(result.errors[3].option == "ha.replication-ack-timeout-ms");

  const auto untrusted = loadConfigText(
      "[TServer]\nsip-address = 1.1.1.1\nsip-interface = 1.1.1.2\n[ha]\nmode = pair\n"
      "peer-address = 10.0.0.2\n",
      "ha.ini");
  BOOST_REQUIRE_EQUAL(untrusted.errors.size(), 2u);
  BOOST_TEST(untrusted.errors[0].option == "ha.certificate");
  BOOST_TEST(untrusted.errors[0].line == 6);
  BOOST_TEST(untrusted.errors[1].option == "ha.ca");
}

BOOST_AUTO_TEST_CASE(blind_transfer_enabled_tserver_option) {
  const std::string base = "[TServer]\nsip-address = 1.1.1.1\nsip-interface = 1.1.1.1\n";
  const auto defaults = loadConfigText(base, "f.ini");
  BOOST_TEST_REQUIRE(defaults.errors.empty(), firstError(defaults));
  BOOST_TEST(!defaults.config->tserver.blindTransferEnabled);  // the reference: set it to enable
  const auto enabled = loadConfigText(base + "blind-transfer-enabled = true\n", "f.ini");
  BOOST_TEST_REQUIRE(enabled.errors.empty(), firstError(enabled));
  BOOST_TEST(enabled.config->tserver.blindTransferEnabled);
  const auto bad = loadConfigText(base + "blind-transfer-enabled = maybe\n", "f.ini");
  BOOST_REQUIRE_EQUAL(bad.errors.size(), 1u);
  BOOST_TEST(bad.errors[0].option == "TServer.blind-transfer-enabled");
  BOOST_TEST(bad.errors[0].line == 4);
}

BOOST_AUTO_TEST_CASE(call_authentication_options) {
  const std::string base = "[TServer]\nsip-address = 1.1.1.1\nsip-interface = 1.1.1.1\n";
  const auto defaults = loadConfigText(base, "f.ini");
  BOOST_TEST_REQUIRE(defaults.errors.empty(), firstError(defaults));
  const auto& tserver = defaults.config->tserver;
  BOOST_TEST(tserver.authenticationAlgorithms == "MD5");  // interoperability (baresip 1.0)
  BOOST_TEST(tserver.trustedNetworks.empty());            // secure default: nobody
  BOOST_TEST(tserver.authenticationFailureLimit == 10u);
  BOOST_TEST(tserver.authenticationFailureWindow == 60u);
  BOOST_TEST(tserver.authenticationFailureSources == 4096u);

  const auto set = loadConfigText(base +
                                      "trusted-networks = 10.0.0.0/8, 192.0.2.7 2001:db8::/32,"
                                      "::1/128\nauthentication-failure-limit = 0\n"
                                      "authentication-failure-window = 600\n"
                                      "authentication-failure-sources = 100\n",
                                  "f.ini");
  BOOST_TEST_REQUIRE(set.errors.empty(), firstError(set));
  const auto& networks = set.config->tserver.trustedNetworks;
  BOOST_REQUIRE_EQUAL(networks.size(), 4u);
  BOOST_TEST(networks[0].toString() == "10.0.0.0/8");
  BOOST_TEST(networks[1].toString() == "192.0.2.7/32");
  BOOST_TEST(networks[2].toString() == "2001:db8::/32");
  BOOST_TEST(networks[3].toString() == "::1/128");
  BOOST_TEST(set.config->tserver.authenticationFailureLimit == 0u);
  BOOST_TEST(set.config->tserver.authenticationFailureWindow == 600u);

  const auto empty = loadConfigText(base + "trusted-networks =\n", "f.ini");
  BOOST_TEST_REQUIRE(empty.errors.empty(), firstError(empty));
  BOOST_TEST(empty.config->tserver.trustedNetworks.empty());

  const auto bad = loadConfigText(base +
                                      "trusted-networks = 10.0.0.0/8, 10.1.2.3/33\n"
                                      "authentication-failure-window = 0\n",
                                  "bad.ini");
  BOOST_REQUIRE_EQUAL(bad.errors.size(), 2u);
  BOOST_TEST(bad.errors[0].toString() ==
             "bad.ini:4: option 'TServer.trusted-networks': prefix length must be 0-32 in "
             "'10.1.2.3/33'");
  BOOST_TEST(bad.errors[1].option == "TServer.authentication-failure-window");
  BOOST_TEST(bad.errors[1].line == 5);
  const auto name = loadConfigText(base + "trusted-networks = gw.example.com\n", "f.ini");
  BOOST_REQUIRE_EQUAL(name.errors.size(), 1u);
  BOOST_TEST(name.errors[0].reason ==
             "expected an IPv4 or IPv6 network ADDRESS/LENGTH, got 'gw.example.com'");
  const auto hostBits = loadConfigText(base + "trusted-networks = 10.1.2.3/8\n", "f.ini");
  BOOST_REQUIRE_EQUAL(hostBits.errors.size(), 1u);
  BOOST_TEST(hostBits.errors[0].reason ==
             "'10.1.2.3/8' has host bits set (the network is 10.0.0.0/8)");
}

BOOST_AUTO_TEST_CASE(missing_file_is_an_error_not_a_crash) {
  const auto result = loadConfigFile("/nonexistent/sipha.ini");
  BOOST_REQUIRE_EQUAL(result.errors.size(), 1u);
  BOOST_TEST(result.errors[0].reason == "cannot open the configuration file");
}

BOOST_AUTO_TEST_CASE(fifty_thousand_dns_load) {
  std::string text = "[TServer]\nsip-address = 127.0.0.1\nsip-interface = 127.0.0.1\n";
  for (int i = 0; i < 50000; ++i) {
    text += "[dn:" + std::to_string(100000 + i) + "]\ntype = Extension\n";
  }
  const auto result = loadConfigText(text, "big.ini");
  BOOST_TEST_REQUIRE(result.errors.empty(), firstError(result));
  BOOST_TEST(result.config->dns.size() == 50000u);
}

BOOST_AUTO_TEST_SUITE_END()
