// The pair consistency check: the reference's example passes; each rule refuses a broken pair
// with a reason naming the file, the option and what is wrong (docs/bigip.md).
#include <boost/test/unit_test.hpp>
#include <string>

#include "bigip/tmsh_export.hpp"
#include "policy_fixtures.hpp"

namespace sipha::netcfg::test {
namespace {

PairCheck check(const std::string& primary, const std::string& backup) {
  return checkPair(loadText(primary, "node1.ini"), loadText(backup, "node2.ini"));
}

std::string joined(const PairCheck& result) {
  std::string all;
  for (const auto& error : result.errors) all += error + "\n";
  return all;
}

// The check refuses and one of its reasons holds every fragment.
void expectRefusal(const PairCheck& result, std::initializer_list<std::string> fragments) {
  BOOST_TEST_REQUIRE(!result.ok());
  bool found = false;
  for (const auto& error : result.errors) {
    bool all = true;
    for (const auto& fragment : fragments) all &= error.find(fragment) != std::string::npos;
    found |= all;
  }
  BOOST_TEST(found, "no reason holds every expected fragment; reasons:\n" + joined(result));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pair_check)

BOOST_AUTO_TEST_CASE(the_reference_example_is_consistent) {
  const auto pair = referenceExample();
  const auto result = check(pair.primary, pair.backup);
  BOOST_TEST(result.ok(), joined(result));
}

BOOST_AUTO_TEST_CASE(sip_address_must_be_the_vip_on_both_nodes) {
  const auto pair = referenceExample();
  expectRefusal(check(pair.primary, withOption(pair.backup, "sip-address", "192.168.166.239")),
                {"node2.ini", "TServer.sip-address", "is not the VIP 192.168.166.238"});
  expectRefusal(check(withOption(pair.primary, "sip-address", "192.168.167.125"), pair.backup),
                {"node1.ini", "TServer.sip-address", "own sip-interface"});
  expectRefusal(
      check(withOption(pair.primary, "bigip-virtual-address", "192.168.166.240"),
            withOption(pair.backup, "bigip-virtual-address", "192.168.166.240")),
      {"network.bigip-virtual-address", "differs from [TServer] sip-address 192.168.166.238"});
}

BOOST_AUTO_TEST_CASE(ports_must_match_between_nodes_and_virtual_servers) {
  const auto pair = referenceExample();
  expectRefusal(check(pair.primary, withOption(pair.backup, "sip-port", "5070")),
                {"node2.ini", "TServer.sip-port", "5070 differs from the primary's 5060"});
  expectRefusal(check(pair.primary, withOption(pair.backup, "sip-port-tls", "5071")),
                {"TServer.sip-port-tls", "5071 differs from the primary's 5061"});
  expectRefusal(check(withOption(pair.primary, "bigip-virtual-port", "5080"),
                      withOption(pair.backup, "bigip-virtual-port", "5080")),
                {"network.bigip-virtual-port", "5080 must be [TServer] sip-port 5060"});
  expectRefusal(check(withOption(pair.primary, "bigip-virtual-port-tls", "5062"),
                      withOption(pair.backup, "bigip-virtual-port-tls", "5062")),
                {"network.bigip-virtual-port-tls", "must be [TServer] sip-port-tls 5061"});
}

BOOST_AUTO_TEST_CASE(node_addresses_must_be_the_sip_interfaces) {
  const auto pair = referenceExample();
  // service-address (the pool member the host configures) differs from sip-interface.
  expectRefusal(
      check(withOption(pair.primary, "service-address", "192.168.167.120/25"), pair.backup),
      {"node1.ini", "network.service-address", "sip-interface"});
  expectRefusal(
      check(withOption(pair.primary, "peer-service-address", "192.168.167.127"), pair.backup),
      {"network.peer-service-address", "192.168.167.127 is not the peer's sip-interface"});
  auto twin = withOption(pair.backup, "sip-interface", "192.168.167.125");
  twin = withOption(twin, "service-address", "192.168.167.125/25");
  expectRefusal(check(pair.primary, twin), {"node2.ini", "TServer.sip-interface", "primary's too"});
}

BOOST_AUTO_TEST_CASE(exclusion_group_must_hold_the_genesys_systems) {
  const auto pair = referenceExample();
  // The configuration server left out of snat-exclusions (the reference's 172.21.83.193).
  expectRefusal(check(withOption(pair.primary, "snat-exclusions", "172.21.83.0/28"),
                      withOption(pair.backup, "snat-exclusions", "172.21.83.0/28")),
                {"node1.ini", "network.snat-exclusions", "misses 172.21.83.193 (config-server)"});
  for (const char* option : {"dns-servers", "ldap-servers", "other-sip-servers"}) {
    expectRefusal(check(withOption(pair.primary, option, "10.7.7.7"), pair.backup),
                  {"network.snat-exclusions", std::string{"misses 10.7.7.7 ("} + option + ")"});
  }
  expectRefusal(check(pair.primary, withOption(pair.backup, "snat-exclusions", "172.21.83.193")),
                {"node2.ini", "differs from the primary's", "one exclusion data group"});
}

BOOST_AUTO_TEST_CASE(mode_names_and_addresses_the_export_needs) {
  const auto pair = referenceExample();
  expectRefusal(check(withOption(pair.primary, "mode", "takeover"), pair.backup),
                {"node1.ini", "network.mode", "must be bigip"});
  expectRefusal(check(pair.primary, withOption(pair.backup, "bigip-pool", "other")),
                {"network.bigip-pool", "'other' differs from the primary's '(unset)'"});
  expectRefusal(check(without(pair.primary, "bigip-self-external-address"),
                      without(pair.backup, "bigip-self-external-address")),
                {"network.bigip-self-external-address", "required"});
  expectRefusal(check(pair.primary, withOption(pair.backup, "gateway", "192.168.167.97")),
                {"network.gateway", "differs from the primary's"});
}

BOOST_AUTO_TEST_CASE(gateway_must_be_the_internal_self_ip_or_a_listed_floating_one) {
  auto pair = referenceExample();
  for (auto* text : {&pair.primary, &pair.backup})
    *text = withOption(*text, "bigip-self-internal-address", "192.168.167.97/25");
  expectRefusal(check(pair.primary, pair.backup),
                {"network.gateway", "192.168.167.96 is not the BIG-IP internal self IP"});
  for (auto* text : {&pair.primary, &pair.backup})
    *text = withOption(*text, "bigip-self-ips", "192.168.167.96, 192.168.167.97");
  const auto floating = check(pair.primary, pair.backup);
  BOOST_TEST(floating.ok(), joined(floating));
}

BOOST_AUTO_TEST_CASE(parse_errors_of_either_file_are_reported) {
  const auto pair = referenceExample();
  expectRefusal(check(pair.primary, withOption(pair.backup, "bigip-monitor", "mon sip")),
                {"node2.ini:", "network.bigip-monitor"});
  expectRefusal(check(withOption(pair.primary, "service-link", ""), pair.backup),
                {"node1.ini:", "network.service-link"});
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg::test
