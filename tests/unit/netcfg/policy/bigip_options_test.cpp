// The bigip-* options: the reference's example names by default, overrides, located refusals.
#include <boost/test/unit_test.hpp>
#include <string>

#include "bigip/bigip_options.hpp"
#include "policy_fixtures.hpp"

namespace sipha::netcfg::test {

BOOST_AUTO_TEST_SUITE(bigip_options)

BOOST_AUTO_TEST_CASE(defaults_are_the_reference_example_names) {
  const auto result = parseBigipOptions(loadText(referenceExample().primary, "n1.ini"));
  BOOST_REQUIRE(result.errors.empty());
  const auto& o = result.options;
  BOOST_TEST(o.vlanExternal == "dc1ext");
  BOOST_TEST(o.vlanInternal == "dc2sip");
  BOOST_TEST(o.selfExternal == "dc1ipext");
  BOOST_TEST(o.selfInternal == "dc2ipsip");
  BOOST_TEST(o.nodePrimary == "nodeHa01Primary");
  BOOST_TEST(o.nodeBackup == "nodeHa01Backup");
  BOOST_TEST(o.monitor == "monSipUdp");
  BOOST_TEST(o.pool == "poolHa01");
  BOOST_TEST(o.dataGroupNodes == "dataGroupSnatHa01");
  BOOST_TEST(o.dataGroupExcluded == "dataGroupSnatExcludedHa01");
  BOOST_TEST(o.snatPool == "snatPoolVipHa01");
  BOOST_TEST(o.irule == "iRuleSnatOutboundHa01");
  BOOST_TEST(o.virtualOutbound == "vsWildCardOutbound");
  BOOST_TEST(o.virtualInbound == "vsWildcardInbound");
  BOOST_TEST(o.virtualUdp == "vsVipUdpHa01");
  BOOST_TEST(o.virtualTcp == "vsVipTcpHa01");
  BOOST_TEST(o.monitorTls == "monSipTls");
  BOOST_TEST(o.poolTls == "poolHa01tls");
  BOOST_TEST(o.virtualTls == "vsVipTlsHa01");
  BOOST_TEST(o.selfExternalAddress->address == "192.168.166.229");
  BOOST_TEST(o.selfExternalAddress->length == 28);
  BOOST_TEST(o.routeGateway == "192.168.166.225");
  BOOST_TEST(!o.disableUdpTcp);
}

BOOST_AUTO_TEST_CASE(names_and_values_are_configurable) {
  auto text = referenceExample().primary;
  text = withOption(text, "bigip-pool", "sip_pool");
  text = withOption(text, "bigip-vlan-internal-interface", "1.2");
  text = withOption(text, "bigip-disable-udp-tcp", "true");
  text = withOption(text, "bigip-virtual-port", "5060");
  const auto result = parseBigipOptions(loadText(text, "n1.ini"));
  BOOST_REQUIRE(result.errors.empty());
  BOOST_TEST(result.options.pool == "sip_pool");
  BOOST_TEST(result.options.vlanInternalInterface == "1.2");
  BOOST_TEST(result.options.disableUdpTcp);
  BOOST_TEST(*result.options.virtualPort == 5060);
}

BOOST_AUTO_TEST_CASE(bad_values_are_refused_with_file_line_and_option) {
  auto text = referenceExample().primary;
  text = withOption(text, "bigip-pool", "pool ha");
  text = withOption(text, "bigip-virtual-port", "70000");
  text = withOption(text, "bigip-poool", "x");
  text = withOption(text, "bigip-route-gateway", "gw.example");
  const auto result = parseBigipOptions(loadText(text, "n1.ini"));
  BOOST_REQUIRE(result.errors.size() == 4u);
  std::string all;
  for (const auto& error : result.errors) all += error.toString() + "\n";
  BOOST_TEST(all.find("n1.ini:") != std::string::npos);
  BOOST_TEST(all.find("option 'network.bigip-pool': expected an object name") != std::string::npos,
             all);
  BOOST_TEST(all.find("option 'network.bigip-virtual-port'") != std::string::npos, all);
  BOOST_TEST(all.find("option 'network.bigip-poool': unknown option") != std::string::npos, all);
  BOOST_TEST(all.find("option 'network.bigip-route-gateway'") != std::string::npos, all);
  BOOST_TEST(result.errors[0].line > 0);
}

BOOST_AUTO_TEST_CASE(bigip_self_ips_belongs_to_the_network_parser) {
  auto text = withOption(referenceExample().primary, "bigip-self-ips", "192.168.167.96");
  BOOST_TEST(parseBigipOptions(loadText(text, "n1.ini")).errors.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg::test
