// sipha-agent's options: defaults from [network] and [TServer], every problem located.
#include <boost/test/unit_test.hpp>

#include "common/config/config_loader.hpp"
#include "config/agent_config.hpp"

using namespace sipha;

namespace {

constexpr const char* kBase =
    "[TServer]\n"
    "sip-interface = 192.0.2.11\n"
    "sip-address = 192.0.2.10\n"
    "sip-port = 5060\n"
    "[appliance]\n"
    "data-dir = /var/lib/sipha\n";

// sipd's replication link needs these with peer-address (the loader checks they are named).
constexpr const char* kCerts = "certificate = /c.pem\nprivate-key = /k.pem\nca = /ca.pem\n";

agent::AgentConfigResult parse(const std::string& text) {
  auto loaded = common::loadConfigText(text, "/etc/sipha/sipha.ini");
  BOOST_REQUIRE_MESSAGE(loaded.config,
                        (loaded.errors.empty() ? std::string() : loaded.errors[0].toString()));
  return agent::parseAgentConfig(*loaded.config);
}

std::string allErrors(const agent::AgentConfigResult& result) {
  std::string text;
  for (const auto& e : result.errors) text += e.toString() + "\n";
  return text;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_config)

BOOST_AUTO_TEST_CASE(standalone_needs_nothing) {
  const auto result = parse(kBase);
  BOOST_REQUIRE(result.config);
  BOOST_TEST(!result.config->pair);
}

BOOST_AUTO_TEST_CASE(a_pair_node_takes_its_defaults_from_network_and_tserver) {
  const auto result = parse(std::string(kBase) +
                            "[ha]\n"
                            "mode = pair\n" +
                            std::string(kCerts) +
                            "node-id = a\n"
                            "peer-address = 10.9.0.2\n"
                            "pair-key = /etc/sipha/pair.key\n"
                            "[network]\n"
                            "service-link = eth0\n"
                            "service-address = 192.0.2.11/24\n"
                            "ha-link = eth1\n"
                            "ha-address = 10.9.0.1/30\n"
                            "peer-ha-address = 10.9.0.2\n"
                            "peer-service-address = 192.0.2.12\n"
                            "gateway = 192.0.2.1\n");
  BOOST_REQUIRE_MESSAGE(result.config, allErrors(result));
  const auto& c = *result.config;
  BOOST_TEST(c.pair);
  BOOST_TEST(!c.takeover);
  BOOST_TEST(c.decision.nodeId == "a");
  BOOST_TEST(c.haAddress == "10.9.0.1");
  BOOST_TEST(c.peerHaAddress == "10.9.0.2");
  BOOST_TEST(c.serviceAddress == "192.0.2.11");
  BOOST_TEST(c.peerServiceAddress == "192.0.2.12");
  BOOST_TEST(c.witness == "192.0.2.1");
  BOOST_TEST(c.heartbeatPort == 7700);
  BOOST_TEST(c.stateDirectory == "/var/lib/sipha/agent");
  BOOST_REQUIRE(c.probe);
  BOOST_TEST(c.probe->address == "192.0.2.12");  // the peer's sip-interface
  BOOST_TEST(c.probe->port == 5060);
  BOOST_TEST(c.decision.heartbeatInterval.count() == 20);
  BOOST_TEST(c.decision.deadInterval.count() == 100);
  // Probe awareness is on behind a BIG-IP: the monitor probes from the self IP (the gateway).
  BOOST_TEST(c.probeAwareness);
  BOOST_TEST(c.decision.monitorTimeout.count() == 4000);
  BOOST_TEST((c.monitorSources == std::vector<std::string>{"192.0.2.1"}));
}

BOOST_AUTO_TEST_CASE(options_in_ha_override_and_timers_are_read) {
  const auto result = parse(std::string(kBase) +
                            "[ha]\n"
                            "mode = pair\n" +
                            std::string(kCerts) +
                            "peer-address = 10.9.0.2\n"
                            "replication-address = 10.9.0.1\n"
                            "pair-key = /k\n"
                            "witness = 192.0.2.254\n"
                            "heartbeat-port = 7710\n"
                            "heartbeat-interval-ms = 50\n"
                            "dead-interval-ms = 300\n"
                            "service-probe = off\n"
                            "monitor-sources = 192.0.2.2, 192.0.2.3\n"
                            "monitor-timeout-ms = 6000\n");
  BOOST_REQUIRE_MESSAGE(result.config, allErrors(result));
  const auto& c = *result.config;
  BOOST_TEST(c.haAddress == "10.9.0.1");  // replication-address
  BOOST_TEST(c.witness == "192.0.2.254");
  BOOST_TEST(c.heartbeatPort == 7710);
  BOOST_TEST(c.decision.heartbeatInterval.count() == 50);
  BOOST_TEST(c.decision.deadInterval.count() == 300);
  BOOST_TEST(!c.probe);
  BOOST_TEST(c.probeAwareness);  // no [network]: a BIG-IP in front (netcfg's default mode)
  BOOST_TEST(c.decision.monitorTimeout.count() == 6000);
  BOOST_TEST((c.monitorSources == std::vector<std::string>{"192.0.2.2", "192.0.2.3"}));
  BOOST_TEST(c.peerServiceAddress.empty());
}

BOOST_AUTO_TEST_CASE(takeover_without_a_peer_service_address_probes_the_vip) {
  const auto result = parse(std::string(kBase) +
                            "[ha]\nmode = pair\npeer-address = 10.9.0.2\npair-key = /k\n" + kCerts +
                            "[network]\nmode = takeover\nservice-link = eth0\n"
                            "service-address = 192.0.2.11/24\ngateway = 192.0.2.1\n");
  BOOST_REQUIRE_MESSAGE(result.config, allErrors(result));
  BOOST_TEST(result.config->takeover);
  BOOST_TEST(!result.config->probeAwareness);  // no BIG-IP monitor in takeover mode
  BOOST_TEST(result.config->decision.monitorTimeout.count() == 0);
  BOOST_REQUIRE(result.config->probe);
  BOOST_TEST(result.config->probe->address == "192.0.2.10");
}

BOOST_AUTO_TEST_CASE(bad_values_are_refused_with_file_line_option_and_reason) {
  const auto result = parse(std::string(kBase) +
                            "[ha]\n"                      // line 7
                            "mode = pair\n"               // 8
                            "peer-address = 10.9.0.2\n"   // 9
                            "pair-key = relative/key\n"   // 10
                            "witness = not-an-address\n"  // 11
                            "heartbeat-port = 70000\n"    // 12
                            "dead-interval-ms = 30\n"     // 13: under three heartbeats
                            "heartbet-interval-ms = 20\n" +
                            kCerts);  // 14: a typo
  BOOST_REQUIRE(!result.config);
  const std::string text = allErrors(result);
  BOOST_TEST(text.find("/etc/sipha/sipha.ini:10: option 'ha.pair-key'") != std::string::npos, text);
  BOOST_TEST(text.find(":11: option 'ha.witness'") != std::string::npos, text);
  BOOST_TEST(text.find(":12: option 'ha.heartbeat-port'") != std::string::npos, text);
  BOOST_TEST(
      text.find(":14: option 'ha.heartbet-interval-ms': unknown option") != std::string::npos,
      text);
  BOOST_TEST(text.find("dead interval") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(a_pair_without_key_or_witness_is_refused) {
  const auto result =
      parse(std::string(kBase) + "[ha]\nmode = pair\npeer-address = 10.9.0.2\n" + kCerts);
  BOOST_REQUIRE(!result.config);
  const std::string text = allErrors(result);
  BOOST_TEST(text.find("ha.pair-key") != std::string::npos, text);
  BOOST_TEST(text.find("ha.witness") != std::string::npos, text);
}

BOOST_AUTO_TEST_SUITE_END()
