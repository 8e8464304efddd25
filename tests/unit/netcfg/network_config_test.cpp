// The [network] section parser: values, defaults, cross-checks, located errors.
#include <sys/socket.h>
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/config/config_loader.hpp"
#include "config/address_text.hpp"
#include "config/network_config.hpp"

namespace sipha::netcfg {
namespace {

const char* kTServer =
    "[TServer]\nsip-address = 192.168.166.238\nsip-interface = 192.168.167.125\n"
    "sip-port = 5060\n";

common::Config load(const std::string& network, const char* tserver = kTServer) {
  auto loaded = common::loadConfigText(std::string{tserver} + "[network]\n" + network, "n.ini");
  BOOST_REQUIRE_MESSAGE(loaded.config, "the common loader refused the test file");
  return *loaded.config;
}

std::string firstError(const NetworkConfigResult& result) {
  return result.errors.empty() ? std::string{} : result.errors.front().toString();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(network_config)

BOOST_AUTO_TEST_CASE(full_takeover_section) {
  const auto result = parseNetworkConfig(
      load("mode = takeover\nservice-link = eth0\nservice-address = 192.168.167.125/24\n"
           "service-mtu = 1400\nha-link = eth1\nha-address = 10.9.0.1/30\n"
           "peer-ha-address = 10.9.0.2\npeer-service-address = 192.168.167.126\n"
           "management-networks = 10.1.0.0/16, 10.2.0.5\ngateway = 192.168.167.96\n"
           "routes = 10.50.0.0/16 via 192.168.167.1, 10.60.0.0/24 via 192.168.167.2\n"
           "snat-exclusions = 172.21.83.193 10.0.0.0/8\nconfig-server = 172.21.83.193\n"
           "ha-ports = 7800-7802\nannounce-count = 5\nannounce-interval-ms = 50\n"
           "bigip-pool-name = sip_pool\n"));
  BOOST_REQUIRE_MESSAGE(result.config, firstError(result));
  const NetworkConfig& c = *result.config;
  BOOST_TEST((c.mode == NetworkMode::Takeover));
  BOOST_TEST(c.serviceLink == "eth0");
  BOOST_TEST(c.serviceAddress.address == "192.168.167.125");
  BOOST_TEST(c.serviceAddress.length == 24);
  BOOST_TEST(c.serviceAddress.family == AF_INET);
  BOOST_TEST(*c.serviceMtu == 1400u);
  BOOST_TEST(c.haAddress->address == "10.9.0.1");
  BOOST_TEST(c.peerHaAddress == "10.9.0.2");
  BOOST_REQUIRE(c.managementNetworks.size() == 2u);
  BOOST_TEST(c.managementNetworks[1].length == 32);
  BOOST_REQUIRE(c.routes.size() == 2u);
  BOOST_TEST(c.routes[1].destination.address == "10.60.0.0");
  BOOST_TEST(c.routes[1].gateway == "192.168.167.2");
  BOOST_TEST(c.bigipSelfIps == std::vector<std::string>{"192.168.167.96"});  // gateway default
  BOOST_TEST(c.snatExclusions.size() == 2u);
  BOOST_TEST(c.haPortFirst == 7800);
  BOOST_TEST(c.haPortLast == 7802);
  BOOST_TEST(c.announceCount == 5u);
  BOOST_TEST(c.announceIntervalMs == 50u);
}

BOOST_AUTO_TEST_CASE(defaults) {
  const auto result =
      parseNetworkConfig(load("service-link = eth0\nservice-address = 192.168.167.125/24\n"));
  BOOST_REQUIRE_MESSAGE(result.config, firstError(result));
  BOOST_TEST((result.config->mode == NetworkMode::Bigip));
  BOOST_TEST(!result.config->serviceMtu.has_value());
  BOOST_TEST(result.config->vipPrefixLength == 32);
  BOOST_TEST(result.config->announceCount == 3u);
  BOOST_TEST(result.config->webuiPort == 443);
}

BOOST_AUTO_TEST_CASE(errors_name_file_line_and_option) {
  const auto result = parseNetworkConfig(
      load("service-link = eth0\nservice-address = 192.168.167.125\nmode = vrrp\n"));
  BOOST_REQUIRE(result.errors.size() == 2u);
  BOOST_TEST(!result.config.has_value());
  // Errors come in option-name order (the section is a map).
  BOOST_TEST(result.errors[0].option == "network.mode");
  BOOST_TEST(result.errors[0].line == 8);
  BOOST_TEST(result.errors[0].file == "n.ini");
  BOOST_TEST(result.errors[1].option == "network.service-address");
  BOOST_TEST(result.errors[1].reason.find("prefix length is missing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refusals) {
  const std::string base = "service-link = eth0\nservice-address = 192.168.167.125/24\n";
  const struct {
    std::string extra;
    std::string option;
  } cases[] = {
      {"colour = blue\n", "network.colour"},
      {"ha-link = this-name-is-too-long\n", "network.ha-link"},
      {"service-mtu = 100\n", "network.service-mtu"},
      {"routes = 10.0.0.0/8 192.168.167.1\n", "network.routes"},
      {"routes = 10.0.0.0/8 via 2001:db8::1\n", "network.routes"},
      {"ha-ports = 7701-7700\n", "network.ha-ports"},
      {"gateway = 2001:db8::1\n", "network.gateway"},
      {"snat-exclusions = 10.0.0.0/33\n", "network.snat-exclusions"},
      {"announce-count = 0\n", "network.announce-count"},
      {"mode = takeover\nvip-prefix-length = 64\n", "network.vip-prefix-length"},
  };
  for (const auto& c : cases) {
    const auto result = parseNetworkConfig(load(base + c.extra));
    BOOST_TEST_CONTEXT(c.extra) {
      BOOST_REQUIRE(!result.errors.empty());
      BOOST_TEST(result.errors.front().option == c.option);
    }
  }
}

BOOST_AUTO_TEST_CASE(required_and_tserver_agreement) {
  auto result = parseNetworkConfig(load("mode = bigip\n"));
  BOOST_REQUIRE(result.errors.size() == 2u);
  BOOST_TEST(result.errors[0].option == "network.service-link");
  result = parseNetworkConfig(load("service-link = eth0\nservice-address = 192.168.167.126/24\n"));
  BOOST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(result.errors[0].reason.find("sip-interface") != std::string::npos);
  // takeover: the VIP must differ from the physical address.
  result = parseNetworkConfig(
      load("mode = takeover\nservice-link = eth0\nservice-address = 192.168.167.125/24\n",
           "[TServer]\nsip-address = 192.168.167.125\nsip-interface = 192.168.167.125\n"));
  BOOST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(result.errors[0].option == "network.mode");
}

BOOST_AUTO_TEST_CASE(address_text_helpers) {
  BOOST_TEST(*parseAddress("2001:DB8::0001").value == "2001:db8::1");
  BOOST_TEST(!parseAddress("1.2.3").value.has_value());
  BOOST_TEST(prefixContains(*parsePrefix("10.1.0.0/16", true).value, "10.1.200.3"));
  BOOST_TEST(!prefixContains(*parsePrefix("10.1.0.0/16", true).value, "10.2.0.1"));
  BOOST_TEST(prefixContains(*parsePrefix("2001:db8::/33", true).value, "2001:db8:7fff::1"));
  BOOST_TEST(!prefixContains(*parsePrefix("2001:db8::/33", true).value, "2001:db8:8000::1"));
  BOOST_TEST(splitList(" a, b ,,c ").size() == 3u);
  BOOST_TEST(prefixText(*parsePrefix("192.0.2.1/24", true).value) == "192.0.2.1/24");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg
