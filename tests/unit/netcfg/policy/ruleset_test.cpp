// The generated nft script: what each configuration value turns into (docs/firewall.md).
#include <sys/socket.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "firewall/ruleset.hpp"
#include "ruleset_fixtures.hpp"

namespace sipha::netcfg::test {
namespace {

bool has(const std::string& script, const std::string& text) {
  return script.find(text) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ruleset_text)

BOOST_AUTO_TEST_CASE(one_table_replaced_whole) {
  const auto script = buildRuleset(tserverConfig(), takeoverNetwork(), false);
  // add + delete + create in one buffer: one transaction, valid whether the table exists or not.
  BOOST_TEST(script.find("add table inet sipha\ndelete table inet sipha\ntable inet sipha {") !=
             std::string::npos);
  BOOST_TEST(!has(script, "flush ruleset"));  // never touches other tables
}

BOOST_AUTO_TEST_CASE(inbound_default_drop_and_essentials) {
  const auto script = buildRuleset(tserverConfig(), takeoverNetwork(), false);
  BOOST_TEST(has(script, "type filter hook input priority filter; policy drop;"));
  BOOST_TEST(has(script, "iif \"lo\" accept"));
  BOOST_TEST(has(script, "ct state established,related accept"));
  BOOST_TEST(has(script, "nd-neighbor-solicit, nd-neighbor-advert"));
  BOOST_TEST(has(script, "packet-too-big"));
  BOOST_TEST(has(script, "icmp type destination-unreachable icmp code port-unreachable"));
}

BOOST_AUTO_TEST_CASE(sip_ports_on_the_service_link) {
  const auto script = buildRuleset(tserverConfig(), takeoverNetwork(), false);
  BOOST_TEST(has(script, "iifname \"svc0\" udp dport 5060 accept"));
  BOOST_TEST(has(script, "iifname \"svc0\" tcp dport { 5060, 5061 } accept"));
  auto plain = tserverConfig();
  plain.tserver.sipPortTls = 0;
  const auto noTls = buildRuleset(plain, takeoverNetwork(), false);
  BOOST_TEST(has(noTls, "iifname \"svc0\" tcp dport 5060 accept"));
  BOOST_TEST(!has(noTls, "5061"));
}

BOOST_AUTO_TEST_CASE(ha_ports_only_from_the_peer_on_the_ha_link) {
  const auto script = buildRuleset(tserverConfig(), takeoverNetwork(), false);
  BOOST_TEST(has(script,
                 "iifname \"ha0\" ip saddr 10.99.0.2 meta l4proto { tcp, udp } th dport "
                 "7700-7701 accept"));
  auto network = takeoverNetwork();
  network.haLink.clear();  // HA traffic on the service link, from the peer's service address
  network.peerHaAddress.clear();
  const auto shared = buildRuleset(tserverConfig(), network, false);
  BOOST_TEST(has(shared,
                 "iifname \"svc0\" ip saddr 198.51.100.12 meta l4proto { tcp, udp } th "
                 "dport 7700-7701 accept"));
}

BOOST_AUTO_TEST_CASE(web_ui_only_from_management_networks) {
  const auto script = buildRuleset(tserverConfig(), takeoverNetwork(), false);
  BOOST_TEST(has(script, "set management_v4 {"));
  BOOST_TEST(has(script, "elements = { 203.0.113.0/28 }"));
  BOOST_TEST(has(script, "iifname \"mgmt0\" ip saddr @management_v4 tcp dport 8443 accept"));
  auto network = takeoverNetwork();
  network.managementNetworks.clear();  // nobody: the web UI stays closed
  const auto closed = buildRuleset(tserverConfig(), network, false);
  BOOST_TEST(!has(closed, "tcp dport 8443"));
}

BOOST_AUTO_TEST_CASE(icmp_echo_from_the_bigip_self_ips) {
  const auto script = buildRuleset(tserverConfig(), takeoverNetwork(), false);
  BOOST_TEST(has(script, "set icmp_echo_v4 {"));
  BOOST_TEST(has(script, "elements = { 198.51.100.1/32, 198.51.100.2/32 }"));
  BOOST_TEST(has(script, "ip saddr @icmp_echo_v4 icmp type echo-request accept"));
  auto network = takeoverNetwork();
  network.bigipSelfIps.clear();  // falls back to the gateway
  const auto fallback = buildRuleset(tserverConfig(), network, false);
  BOOST_TEST(has(fallback, "elements = { 198.51.100.1/32 }"));
}

BOOST_AUTO_TEST_CASE(snat_only_while_holding_the_vip_in_takeover_mode) {
  const auto backup = buildRuleset(tserverConfig(), takeoverNetwork(), false);
  BOOST_TEST(!has(backup, "snat"));
  BOOST_TEST(!has(backup, "dnat"));
  auto bigip = takeoverNetwork();
  bigip.mode = NetworkMode::Bigip;  // the BIG-IP translates, never the host
  BOOST_TEST(!has(buildRuleset(tserverConfig(), bigip, true), "snat"));

  const auto primary = buildRuleset(tserverConfig(), takeoverNetwork(), true);
  BOOST_TEST(has(primary, "type nat hook postrouting priority srcnat; policy accept;"));
  BOOST_TEST(has(primary, "oifname != \"svc0\" return"));  // the HA link is never translated
  BOOST_TEST(has(primary, "ip daddr @snat_exclusions_v4 return"));
  BOOST_TEST(has(primary, "elements = { 10.20.0.0/16, 192.0.2.53/32 }"));
  BOOST_TEST(has(primary, "ip daddr 198.51.100.12 return"));  // the peer, on the service link
  BOOST_TEST(has(primary, "ip saddr 198.51.100.11 snat ip to 198.51.100.10"));
  BOOST_TEST(has(primary,
                 "iifname \"svc0\" ip daddr 198.51.100.10 udp dport 5060 dnat ip to "
                 "198.51.100.11"));
}

BOOST_AUTO_TEST_CASE(ipv6_addresses_use_ip6_sets_and_rules) {
  auto config = tserverConfig();
  config.tserver.sipAddress = "2001:db8::10";
  auto network = takeoverNetwork();
  network.serviceAddress = {"2001:db8::11", 64, AF_INET6};
  network.peerServiceAddress = "2001:db8::12";
  network.snatExclusions.push_back({"2001:db8:53::", 48, AF_INET6});
  network.managementNetworks.push_back({"2001:db8:f::", 48, AF_INET6});
  const auto script = buildRuleset(config, network, true);
  BOOST_TEST(has(script, "set snat_exclusions_v6 {"));
  BOOST_TEST(has(script, "type ipv6_addr"));
  BOOST_TEST(has(script, "ip6 daddr @snat_exclusions_v6 return"));
  BOOST_TEST(has(script, "ip6 saddr 2001:db8::11 snat ip6 to 2001:db8::10"));
  BOOST_TEST(has(script, "iifname \"mgmt0\" ip6 saddr @management_v6 tcp dport 8443 accept"));
}

BOOST_AUTO_TEST_CASE(unsafe_values_leave_their_rules_out) {
  auto network = takeoverNetwork();
  network.serviceLink = "eth0\" accept #";  // cannot be quoted safely: no SIP rule at all
  network.peerHaAddress = "not-an-address";
  const auto script = buildRuleset(tserverConfig(), network, true);
  BOOST_TEST(!has(script, "dport 5060"));
  BOOST_TEST(!has(script, "not-an-address"));
  BOOST_TEST(!has(script, "snat ip to"));
  BOOST_TEST(has(script, "policy drop"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg::test
