// The tmsh export of the reference's example, object by object (reference, "Configuring BIG-IP
// LTM" steps 2-12 and "Configuring TLS"), and what changes with the options.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "bigip/tmsh_export.hpp"
#include "policy_fixtures.hpp"

namespace sipha::netcfg::test {
namespace {

std::string exportOf(const std::string& primary, const std::string& backup) {
  return exportTmsh(loadText(primary, "node1.ini"), loadText(backup, "node2.ini"));
}

std::vector<std::string> commands(const std::string& script) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < script.size()) {
    const auto end = script.find('\n', start);
    const auto line = script.substr(start, end - start);
    if (!line.empty() && line[0] != '#') lines.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

bool hasLine(const std::string& script, const std::string& line) {
  for (const auto& command : commands(script))
    if (command == line) return true;
  return false;
}

#define CHECK_LINE(script, line) BOOST_TEST(hasLine(script, line), "missing: " << line)

}  // namespace

BOOST_AUTO_TEST_SUITE(tmsh_export)

BOOST_AUTO_TEST_CASE(reference_example_object_by_object) {
  const auto pair = referenceExample();
  const auto tmsh = exportOf(pair.primary, pair.backup);
  BOOST_REQUIRE(!tmsh.empty());
  // 2. VLANs: external on 1.3, internal (SIP Server side) on 1.6.
  CHECK_LINE(tmsh, "create net vlan dc1ext interfaces replace-all-with { 1.3 { untagged } }");
  CHECK_LINE(tmsh, "create net vlan dc2sip interfaces replace-all-with { 1.6 { untagged } }");
  // 3. Self IPs: 192.168.166.229 / 255.255.255.240 and 192.168.167.96 / 255.255.255.128.
  CHECK_LINE(
      tmsh,
      "create net self dc1ipext address 192.168.166.229/28 vlan dc1ext allow-service default");
  CHECK_LINE(
      tmsh, "create net self dc2ipsip address 192.168.167.96/25 vlan dc2sip allow-service default");
  // 4. Default route.
  CHECK_LINE(tmsh, "create net route Default network default gw 192.168.166.225");
  // 5. Nodes with the icmp monitor.
  CHECK_LINE(tmsh, "create ltm node nodeHa01Primary address 192.168.167.125 monitor icmp");
  CHECK_LINE(tmsh, "create ltm node nodeHa01Backup address 192.168.167.126 monitor icmp");
  // 6. SIP monitor: UDP, interval 1, timeout 4, any status accepted.
  CHECK_LINE(tmsh,
             "create ltm monitor sip monSipUdp defaults-from sip interval 1 timeout 4 mode udp "
             "filter any");
  // 7-8. Pool: both members on sip-port, round robin, reselect, priority groups disabled.
  CHECK_LINE(tmsh,
             "create ltm pool poolHa01 monitor monSipUdp load-balancing-mode round-robin "
             "service-down-action reselect min-active-members 0 members replace-all-with { "
             "nodeHa01Primary:5060 { address 192.168.167.125 } nodeHa01Backup:5060 { address "
             "192.168.167.126 } }");
  // 9. Data groups.
  CHECK_LINE(tmsh,
             "create ltm data-group internal dataGroupSnatHa01 type ip records replace-all-with { "
             "192.168.167.125/32 { } 192.168.167.126/32 { } }");
  CHECK_LINE(tmsh,
             "create ltm data-group internal dataGroupSnatExcludedHa01 type ip records "
             "replace-all-with { 172.21.83.0/28 { } 172.21.83.193/32 { } }");
  // 10. SNAT pool with the VIP.
  CHECK_LINE(tmsh,
             "create ltm snatpool snatPoolVipHa01 members replace-all-with { 192.168.166.238 }");
  // 11. iRule: the reference's text with the configured names.
  BOOST_TEST(
      tmsh.find("create ltm rule iRuleSnatOutboundHa01 {\n"
                "when CLIENT_ACCEPTED {\n"
                "  if { [class match [IP::remote_addr] equals dataGroupSnatHa01] } {\n"
                "    if { [class match [IP::local_addr] equals dataGroupSnatExcludedHa01] } {\n"
                "    } else {\n"
                "      snatpool snatPoolVipHa01\n"
                "    }\n"
                "  }\n"
                "}\n"
                "}\n") != std::string::npos);
  // 12. Wildcard forwarding virtual servers: outbound on the internal VLAN with the iRule and
  // no SNAT pool, inbound on the external VLAN.
  CHECK_LINE(tmsh,
             "create ltm virtual vsWildCardOutbound destination 0.0.0.0:any mask any ip-forward "
             "ip-protocol any profiles replace-all-with { fastL4 } vlans-enabled vlans "
             "replace-all-with { dc2sip } source-address-translation { type none } source-port "
             "preserve rules { iRuleSnatOutboundHa01 }");
  CHECK_LINE(tmsh,
             "create ltm virtual vsWildcardInbound destination 0.0.0.0:any mask any ip-forward "
             "ip-protocol any profiles replace-all-with { fastL4 } vlans-enabled vlans "
             "replace-all-with { dc1ext }");
  // 12. SIP virtual servers on sip-address:sip-port with the sip profile, the pool, no SNAT.
  CHECK_LINE(tmsh,
             "create ltm virtual vsVipUdpHa01 destination 192.168.166.238:5060 mask "
             "255.255.255.255 ip-protocol udp profiles replace-all-with { udp sip } pool poolHa01 "
             "vlans-enabled vlans replace-all-with { dc1ext } source-address-translation { type "
             "none } source-port preserve");
  CHECK_LINE(tmsh,
             "create ltm virtual vsVipTcpHa01 destination 192.168.166.238:5060 mask "
             "255.255.255.255 ip-protocol tcp profiles replace-all-with { tcp sip } pool poolHa01 "
             "vlans-enabled vlans replace-all-with { dc1ext } source-address-translation { type "
             "none } source-port preserve");
  // TLS: TCP monitor (interval 1), pool on sip-port-tls (slow ramp 0), virtual server.
  CHECK_LINE(tmsh, "create ltm monitor tcp monSipTls defaults-from tcp interval 1");
  CHECK_LINE(tmsh,
             "create ltm pool poolHa01tls monitor monSipTls load-balancing-mode round-robin "
             "service-down-action reselect slow-ramp-time 0 members replace-all-with { "
             "nodeHa01Primary:5061 { address 192.168.167.125 } nodeHa01Backup:5061 { address "
             "192.168.167.126 } }");
  CHECK_LINE(tmsh,
             "create ltm virtual vsVipTlsHa01 destination 192.168.166.238:5061 mask "
             "255.255.255.255 ip-protocol tcp profiles replace-all-with { tcp } pool poolHa01tls "
             "vlans-enabled vlans replace-all-with { dc1ext } source-address-translation { type "
             "none }");
  BOOST_TEST(tmsh.find("disabled") == std::string::npos);  // UDP/TCP stay enabled by default
  BOOST_TEST(commands(tmsh).back() == "save sys config");
  // Objects are created before what refers to them.
  BOOST_TEST(tmsh.find("create ltm monitor sip") < tmsh.find("create ltm pool poolHa01 "));
  BOOST_TEST(tmsh.find("create ltm rule") < tmsh.find("create ltm virtual vsWildCardOutbound"));
  BOOST_TEST(tmsh.find("create ltm pool poolHa01 ") < tmsh.find("create ltm virtual vsVipUdpHa01"));
}

BOOST_AUTO_TEST_CASE(configured_names_ports_and_tls_only) {
  auto pair = referenceExample();
  for (auto* text : {&pair.primary, &pair.backup}) {
    *text = withOption(*text, "sip-port", "5070");
    *text = withOption(*text, "bigip-pool", "sip_pool");
    *text = withOption(*text, "bigip-vlan-external", "outside");
    *text = withOption(*text, "bigip-disable-udp-tcp", "yes");
  }
  const auto tmsh = exportOf(pair.primary, pair.backup);
  BOOST_REQUIRE(!tmsh.empty());
  BOOST_TEST(tmsh.find("create ltm pool sip_pool monitor monSipUdp") != std::string::npos);
  BOOST_TEST(tmsh.find("nodeHa01Primary:5070 { address 192.168.167.125 }") != std::string::npos);
  BOOST_TEST(tmsh.find("destination 192.168.166.238:5070") != std::string::npos);
  BOOST_TEST(tmsh.find("pool sip_pool vlans-enabled vlans replace-all-with { outside }") !=
             std::string::npos);
  CHECK_LINE(tmsh, "modify ltm virtual vsVipUdpHa01 disabled");
  CHECK_LINE(tmsh, "modify ltm virtual vsVipTcpHa01 disabled");
}

BOOST_AUTO_TEST_CASE(without_tls_there_are_no_tls_objects) {
  auto pair = referenceExample();
  const auto tmsh =
      exportOf(without(pair.primary, "sip-port-tls"), without(pair.backup, "sip-port-tls"));
  BOOST_REQUIRE(!tmsh.empty());
  BOOST_TEST(tmsh.find("monSipTls") == std::string::npos);
  BOOST_TEST(tmsh.find("vsVipTlsHa01") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(ipv6_pair_uses_tmsh_ipv6_notation) {
  auto pair = referenceExample();
  const std::pair<std::string*, const char*> nodes[] = {{&pair.primary, "2001:db8:167::125"},
                                                        {&pair.backup, "2001:db8:167::126"}};
  for (const auto& [text, self] : nodes) {
    const std::string peer =
        self == std::string{"2001:db8:167::125"} ? "2001:db8:167::126" : "2001:db8:167::125";
    *text = withOption(*text, "sip-address", "2001:db8:166::238");
    *text = withOption(*text, "sip-interface", self);
    *text = withOption(*text, "service-address", std::string{self} + "/64");
    *text = withOption(*text, "peer-service-address", peer);
    *text = withOption(*text, "gateway", "2001:db8:167::96");
    *text = withOption(*text, "bigip-self-external-address", "2001:db8:166::229/64");
    *text = withOption(*text, "bigip-route-gateway", "2001:db8:166::225");
    *text = withOption(*text, "snat-exclusions", "2001:db8:83::193");
    *text = withOption(*text, "config-server", "2001:db8:83::193");
    *text = without(*text, "message-servers");
  }
  const auto tmsh = exportOf(pair.primary, pair.backup);
  BOOST_REQUIRE(!tmsh.empty());
  BOOST_TEST(tmsh.find("destination 2001:db8:166::238.5060 mask "
                       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") != std::string::npos);
  BOOST_TEST(tmsh.find("destination ::.any mask any6") != std::string::npos);
  BOOST_TEST(tmsh.find("network default-inet6 gw 2001:db8:166::225") != std::string::npos);
  BOOST_TEST(tmsh.find("nodeHa01Primary.5060 { address 2001:db8:167::125 }") != std::string::npos);
  BOOST_TEST(tmsh.find("{ 2001:db8:167::125/128 { } 2001:db8:167::126/128 { } }") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_refused_pair_exports_nothing) {
  const auto pair = referenceExample();
  BOOST_TEST(exportOf(pair.primary, withOption(pair.backup, "sip-port", "5070")).empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg::test
