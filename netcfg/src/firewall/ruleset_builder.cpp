// Generates the nft script of table inet sipha from the configuration (docs/firewall.md).
// Everything not explicitly allowed inbound is dropped; a value that cannot be written safely
// (bad interface name, non-literal address) leaves its rule out, so the result fails closed.
#include <arpa/inet.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "config/address_text.hpp"
#include "firewall/ruleset.hpp"

namespace sipha::netcfg {
namespace {

// Linux interface names: 1-15 bytes; we also refuse quotes, spaces and '/'.
bool validInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > 15) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '@' || c == ':';
  });
}

const char* familyKeyword(int family) { return family == AF_INET ? "ip" : "ip6"; }
const char* setType(int family) { return family == AF_INET ? "ipv4_addr" : "ipv6_addr"; }
const char* suffix(int family) { return family == AF_INET ? "v4" : "v6"; }

// Canonical elements of one family, deduplicated and sorted (stable output for diffs and tests).
std::vector<std::string> elementsOf(const std::vector<Prefix>& prefixes, int family) {
  std::set<std::string> unique;
  for (const auto& prefix : prefixes) {
    if (addressFamily(prefix.address) != family) continue;
    unique.insert(prefixText(prefix));  // nft clears host bits and merges overlaps (auto-merge)
  }
  return {unique.begin(), unique.end()};
}

std::vector<Prefix> hostPrefixes(const std::vector<std::string>& addresses) {
  std::vector<Prefix> prefixes;
  for (const auto& address : addresses) {
    if (auto prefix = parsePrefix(address, false); prefix.value) prefixes.push_back(*prefix.value);
  }
  return prefixes;
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

class Script {
 public:
  void line(const std::string& text) { text_ += text + "\n"; }
  // A named set, written only when it has elements; returns whether it exists.
  bool set(const std::string& name, int family, const std::vector<std::string>& elements) {
    if (elements.empty()) return false;
    line("  set " + name + " {");
    line(std::string{"    type "} + setType(family));
    line("    flags interval");
    line("    auto-merge");
    line("    elements = { " + joined(elements) + " }");
    line("  }");
    return true;
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

struct Links {
  std::string service;
  std::string ha;          // = service when no HA link is configured
  std::string management;  // = service when no management link is configured
};

void writeInput(Script& script, const common::Config& config, const NetworkConfig& network,
                const Links& links, const std::set<std::string>& sets) {
  const auto& tserver = config.tserver;
  script.line("  chain input {");
  script.line("    type filter hook input priority filter; policy drop;");
  script.line("    iif \"lo\" accept");
  script.line("    ct state established,related accept");
  script.line("    ct state invalid drop");
  // RFC 4890 4.4.1: neighbour discovery (hop limit 255 proves it is on-link) and the errors
  // IPv6 cannot work without (packet-too-big for PMTUD).
  script.line(
      "    icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
      "nd-neighbor-advert, nd-redirect } ip6 hoplimit 255 accept");
  script.line(
      "    icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, "
      "parameter-problem } accept");
  script.line(
      "    ip6 saddr fe80::/10 icmpv6 type { mld-listener-query, mld-listener-report, "
      "mld-listener-done, mld2-listener-report } accept");
  if (validInterfaceName(links.service)) {
    const std::string link = "iifname \"" + links.service + "\"";
    script.line("    " + link + " udp dport " + std::to_string(tserver.sipPort) +
                " accept comment \"sip-port UDP\"");
    std::string tcpPorts = std::to_string(tserver.sipPort);
    if (tserver.sipPortTls != 0 && tserver.sipPortTls != tserver.sipPort)
      tcpPorts = "{ " + tcpPorts + ", " + std::to_string(tserver.sipPortTls) + " }";
    script.line("    " + link + " tcp dport " + tcpPorts +
                " accept comment \"sip-port, sip-port-tls\"");
  }
  const std::string peer =
      network.peerHaAddress.empty() ? network.peerServiceAddress : network.peerHaAddress;
  const int peerFamily = addressFamily(peer);
  if (validInterfaceName(links.ha) && peerFamily != 0) {
    script.line("    iifname \"" + links.ha + "\" " + familyKeyword(peerFamily) + " saddr " + peer +
                " meta l4proto { tcp, udp } th dport " + std::to_string(network.haPortFirst) + "-" +
                std::to_string(network.haPortLast) + " accept comment \"ha-ports from the peer\"");
    script.line("    iifname \"" + links.ha + "\" " + familyKeyword(peerFamily) + " saddr " + peer +
                (peerFamily == AF_INET ? " icmp type echo-request" : " icmpv6 type echo-request") +
                " accept comment \"the peer's liveness probe\"");
  }
  // sipha-agent's second heartbeat path (docs/ha-agent.md): the peer's sip-interface to the
  // heartbeat port on the service link, when that is not the HA link already accepted above.
  const int serviceFamily = addressFamily(network.peerServiceAddress);
  if (validInterfaceName(links.service) && serviceFamily != 0 &&
      (links.service != links.ha || peer != network.peerServiceAddress)) {
    script.line("    iifname \"" + links.service + "\" " + familyKeyword(serviceFamily) +
                " saddr " + network.peerServiceAddress + " udp dport " +
                std::to_string(network.haPortFirst) + "-" + std::to_string(network.haPortLast) +
                " accept comment \"heartbeats over the service network\"");
  }
  for (int family : {AF_INET, AF_INET6}) {
    const std::string management = std::string{"management_"} + suffix(family);
    if (validInterfaceName(links.management) && sets.count(management)) {
      script.line("    iifname \"" + links.management + "\" " + familyKeyword(family) + " saddr @" +
                  management + " tcp dport " + std::to_string(network.webuiPort) +
                  " accept comment \"web UI from management-networks\"");
    }
    const std::string echo = std::string{"icmp_echo_"} + suffix(family);
    if (sets.count(echo)) {
      script.line(std::string{"    "} + familyKeyword(family) + " saddr @" + echo +
                  (family == AF_INET ? " icmp type echo-request" : " icmpv6 type echo-request") +
                  " accept comment \"ICMP echo from the BIG-IP self IPs\"");
    }
  }
  script.line("    counter comment \"inbound dropped by policy\"");
  script.line("  }");
}

void writeOutput(Script& script) {
  // Reference, "Network and Host Prerequisites": hosts must be able to send ICMP port
  // unreachable toward SIP peers. The policy already accepts; the rules count them.
  script.line("  chain output {");
  script.line("    type filter hook output priority filter; policy accept;");
  script.line(
      "    icmp type destination-unreachable icmp code port-unreachable counter accept comment "
      "\"port-unreachable to SIP peers\"");
  script.line(
      "    icmpv6 type destination-unreachable icmpv6 code port-unreachable counter accept "
      "comment \"port-unreachable to SIP peers (IPv6)\"");
  script.line("  }");
}

// Takeover mode while holding the VIP: the reference's iRule and SIP virtual servers, on the host.
void writeNat(Script& script, const common::Config& config, const NetworkConfig& network,
              const Links& links, const std::set<std::string>& sets) {
  const auto& tserver = config.tserver;
  const std::string& vip = tserver.sipAddress;
  const std::string& physical = network.serviceAddress.address;
  const int family = addressFamily(vip);
  if (family == 0 || addressFamily(physical) != family || !validInterfaceName(links.service)) {
    script.line("  # no NAT: sip-address and service-address must be literals of one family");
    return;
  }
  const std::string ip = familyKeyword(family);
  const std::string link = "\"" + links.service + "\"";
  // Inbound SIP to the VIP reaches sipd on its sip-interface (the BIG-IP's virtual servers).
  std::string tcpPorts = std::to_string(tserver.sipPort);
  if (tserver.sipPortTls != 0 && tserver.sipPortTls != tserver.sipPort)
    tcpPorts = "{ " + tcpPorts + ", " + std::to_string(tserver.sipPortTls) + " }";
  script.line("  chain nat_prerouting {");
  script.line("    type nat hook prerouting priority dstnat; policy accept;");
  script.line("    iifname " + link + " " + ip + " daddr " + vip + " udp dport " +
              std::to_string(tserver.sipPort) + " dnat " + ip + " to " + physical);
  script.line("    iifname " + link + " " + ip + " daddr " + vip + " tcp dport " + tcpPorts +
              " dnat " + ip + " to " + physical);
  script.line("  }");
  // Outbound: the iRule iRuleSnatOutboundHa01 — SNAT to the VIP unless the destination is in
  // the exclusion group; HA traffic (the HA link, the peer's addresses) is never translated.
  script.line("  chain nat_postrouting {");
  script.line("    type nat hook postrouting priority srcnat; policy accept;");
  script.line("    oifname != " + link + " return");
  // ICMP keeps the node's own address: sipha-agent's witness echo must be answered to this
  // node, not to whoever holds the VIP (an echo flow translated while primary stayed
  // translated in conntrack after a demotion: the node no longer saw its witness).
  script.line(std::string("    meta l4proto ") + (family == AF_INET ? "icmp" : "ipv6-icmp") +
              " return comment \"ICMP: the witness echo keeps this node's address\"");
  const std::string exclusions = std::string{"snat_exclusions_"} + suffix(family);
  if (sets.count(exclusions)) script.line("    " + ip + " daddr @" + exclusions + " return");
  for (const auto& peer : {network.peerServiceAddress, network.peerHaAddress}) {
    if (addressFamily(peer) == family) script.line("    " + ip + " daddr " + peer + " return");
  }
  script.line("    " + ip + " saddr " + physical + " snat " + ip + " to " + vip +
              " comment \"source becomes the VIP\"");
  script.line("  }");
}

}  // namespace

std::string buildRuleset(const common::Config& config, const NetworkConfig& network,
                         bool holdsVip) {
  Links links;
  links.service = network.serviceLink;
  links.ha = network.haLink.empty() ? network.serviceLink : network.haLink;
  links.management = network.managementLink.empty() ? network.serviceLink : network.managementLink;
  const auto echoSources =
      hostPrefixes(network.bigipSelfIps.empty() ? std::vector<std::string>{network.gateway}
                                                : network.bigipSelfIps);

  const bool nat = holdsVip && network.mode == NetworkMode::Takeover;
  Script script;
  script.line("# table inet sipha, generated by sipha-netcfg from " + config.path +
              " (docs/firewall.md); replaced whole on every apply");
  script.line("add table inet sipha");
  script.line("delete table inet sipha");
  script.line("table inet sipha {");
  std::set<std::string> sets;
  for (int family : {AF_INET, AF_INET6}) {
    const std::string tag = suffix(family);
    if (script.set("management_" + tag, family, elementsOf(network.managementNetworks, family)))
      sets.insert("management_" + tag);
    if (script.set("icmp_echo_" + tag, family, elementsOf(echoSources, family)))
      sets.insert("icmp_echo_" + tag);
    if (nat &&
        script.set("snat_exclusions_" + tag, family, elementsOf(network.snatExclusions, family)))
      sets.insert("snat_exclusions_" + tag);
  }
  writeInput(script, config, network, links, sets);
  script.line("  chain forward {");
  script.line("    type filter hook forward priority filter; policy drop;");
  script.line("  }");
  writeOutput(script);
  if (holdsVip && network.mode == NetworkMode::Takeover)
    writeNat(script, config, network, links, sets);
  script.line("}");
  return script.take();
}

}  // namespace sipha::netcfg
