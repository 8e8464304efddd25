// The pair consistency check (docs/bigip.md, "Consistency rules"). Each rule comes from the
// reference's BIG-IP chapter, "Required Provisioning" and "Configuring data groups".
#include <set>

#include "bigip/tmsh_export.hpp"
#include "common/config/config_error.hpp"
#include "config/address_text.hpp"

namespace sipha::netcfg {
namespace {

class Checker {
 public:
  explicit Checker(const PairModel& pair) : pair_(pair) {}

  std::vector<std::string> run() {
    for (const NodeModel* node : {&pair_.primary, &pair_.backup}) checkMode(*node);
    checkVip();
    checkPorts();
    checkNodeAddresses();
    for (const NodeModel* node : {&pair_.primary, &pair_.backup}) checkExclusions(*node);
    checkSameExclusions();
    checkBigipOptions();
    checkExportNeeds();
    return std::move(errors_);
  }

 private:
  void fail(const NodeModel& node, const std::string& option, std::string reason) {
    int line = 0;
    if (option.starts_with("network.")) {
      const auto found = node.config->network.find(option.substr(8));
      if (found != node.config->network.end()) line = found->second.line;
    }
    errors_.push_back(
        common::ConfigError{node.config->path, line, option, std::move(reason)}.toString());
  }

  void checkMode(const NodeModel& node) {
    if (node.network.mode != NetworkMode::Bigip)
      fail(node, "network.mode",
           "must be bigip behind a BIG-IP (takeover holds the VIP on the host)");
  }

  // Required Provisioning: the virtual servers' address is sip-address, the same on both nodes.
  void checkVip() {
    const auto& vip = pair_.primary.config->tserver.sipAddress;
    for (const NodeModel* node : {&pair_.primary, &pair_.backup}) {
      const auto& tserver = node->config->tserver;
      if (addressFamily(tserver.sipAddress) == 0) {
        fail(*node, "TServer.sip-address",
             "must be the BIG-IP virtual IP address, got '" + tserver.sipAddress + "'");
        continue;
      }
      if (tserver.sipAddress != vip)
        fail(*node, "TServer.sip-address",
             tserver.sipAddress + " is not the VIP " + vip + " of the other node");
      if (tserver.sipAddress == tserver.sipInterface)
        fail(*node, "TServer.sip-address",
             "is the node's own sip-interface; it must be the BIG-IP virtual IP address");
      const auto& declared = node->bigip.virtualAddress;
      if (!declared.empty() && declared != tserver.sipAddress)
        fail(*node, "network.bigip-virtual-address",
             declared + " differs from [TServer] sip-address " + tserver.sipAddress);
    }
    const auto& other = pair_.backup.config->tserver.sipInterface;
    if (!vip.empty() && vip == other)
      fail(pair_.primary, "TServer.sip-address", "is the peer's sip-interface " + other);
  }

  // Required Provisioning: the virtual servers' ports are sip-port and sip-port-tls.
  void checkPorts() {
    const auto& first = pair_.primary.config->tserver;
    const auto& second = pair_.backup.config->tserver;
    if (first.sipPort != second.sipPort)
      fail(pair_.backup, "TServer.sip-port",
           std::to_string(second.sipPort) + " differs from the primary's " +
               std::to_string(first.sipPort) + " (one pool, one virtual server port)");
    if (first.sipPortTls != second.sipPortTls)
      fail(pair_.backup, "TServer.sip-port-tls",
           std::to_string(second.sipPortTls) + " differs from the primary's " +
               std::to_string(first.sipPortTls));
    for (const NodeModel* node : {&pair_.primary, &pair_.backup}) {
      const auto& tserver = node->config->tserver;
      const auto& bigip = node->bigip;
      if (bigip.virtualPort && *bigip.virtualPort != tserver.sipPort)
        fail(*node, "network.bigip-virtual-port",
             "the UDP/TCP virtual servers' port " + std::to_string(*bigip.virtualPort) +
                 " must be [TServer] sip-port " + std::to_string(tserver.sipPort));
      if (bigip.virtualPortTls && *bigip.virtualPortTls != tserver.sipPortTls)
        fail(*node, "network.bigip-virtual-port-tls",
             "the TLS virtual server's port " + std::to_string(*bigip.virtualPortTls) +
                 " must be [TServer] sip-port-tls " + std::to_string(tserver.sipPortTls));
      if (bigip.disableUdpTcp && tserver.sipPortTls == 0)
        fail(*node, "network.bigip-disable-udp-tcp", "needs TLS ([TServer] sip-port-tls)");
    }
  }

  // The pool's members are the nodes' sip-interface addresses.
  void checkNodeAddresses() {
    for (const NodeModel* node : {&pair_.primary, &pair_.backup}) {
      const auto& tserver = node->config->tserver;
      if (addressFamily(tserver.sipInterface) == 0)
        fail(*node, "TServer.sip-interface", "required: the node's physical address (pool member)");
      else if (node->network.serviceAddress.address != tserver.sipInterface)
        fail(*node, "network.service-address",
             node->network.serviceAddress.address + " is not [TServer] sip-interface " +
                 tserver.sipInterface);
    }
    const auto& first = pair_.primary;
    const auto& second = pair_.backup;
    const auto& firstAddress = first.config->tserver.sipInterface;
    const auto& secondAddress = second.config->tserver.sipInterface;
    if (firstAddress == secondAddress)
      fail(second, "TServer.sip-interface", "is the primary's too; the two nodes need their own");
    checkPeer(first, secondAddress);
    checkPeer(second, firstAddress);
    if (first.network.gateway != second.network.gateway)
      fail(second, "network.gateway",
           "'" + second.network.gateway + "' differs from the primary's '" + first.network.gateway +
               "' (both route through the BIG-IP self IP)");
  }

  void checkPeer(const NodeModel& node, const std::string& peerInterface) {
    const auto& declared = node.network.peerServiceAddress;
    if (!declared.empty() && declared != peerInterface)
      fail(node, "network.peer-service-address",
           declared + " is not the peer's sip-interface " + peerInterface);
  }

  // Configuring data groups: the exclusion group holds the Genesys systems group.
  void checkExclusions(const NodeModel& node) {
    const auto& network = node.network;
    const std::pair<const char*, const std::vector<std::string>*> groups[] = {
        {"config-server", &network.configServers},
        {"message-servers", &network.messageServers},
        {"dns-servers", &network.dnsServers},
        {"ldap-servers", &network.ldapServers},
        {"other-sip-servers", &network.otherSipServers}};
    for (const auto& [option, addresses] : groups) {
      for (const auto& address : *addresses) {
        bool covered = false;
        for (const auto& prefix : network.snatExclusions)
          covered |= prefixContains(prefix, address);
        if (!covered)
          fail(node, "network.snat-exclusions",
               "misses " + address + " (" + option + "): it must not see the VIP as source");
      }
    }
  }

  void checkSameExclusions() {
    std::set<std::string> first;
    std::set<std::string> second;
    for (const auto& prefix : pair_.primary.network.snatExclusions)
      first.insert(prefixText(prefix));
    for (const auto& prefix : pair_.backup.network.snatExclusions)
      second.insert(prefixText(prefix));
    if (first != second)
      fail(pair_.backup, "network.snat-exclusions",
           "differs from the primary's (the BIG-IP has one exclusion data group)");
  }

  // The export takes object names from node1; node2 must agree.
  void checkBigipOptions() {
    const auto& first = pair_.primary.config->network;
    const auto& second = pair_.backup.config->network;
    std::set<std::string> names;
    for (const auto* section : {&first, &second})
      for (const auto& [name, option] : *section)
        if (name.starts_with("bigip-")) names.insert(name);
    for (const auto& name : names) {
      const auto a = first.find(name);
      const auto b = second.find(name);
      const std::string valueA = a == first.end() ? "(unset)" : a->second.value;
      const std::string valueB = b == second.end() ? "(unset)" : b->second.value;
      if (valueA != valueB)
        fail(pair_.backup, "network." + name,
             "'" + valueB + "' differs from the primary's '" + valueA + "'");
    }
  }

  void checkExportNeeds() {
    const auto& node = pair_.primary;
    if (!node.bigip.selfExternalAddress)
      fail(node, "network.bigip-self-external-address",
           "required: the BIG-IP's external self IP, ADDR/LEN (e.g. 192.168.166.229/28)");
    if (node.bigip.routeGateway.empty())
      fail(node, "network.bigip-route-gateway",
           "required: the BIG-IP's own default gateway (e.g. 192.168.166.225)");
    const auto& gateway = node.network.gateway;
    if (gateway.empty()) {
      fail(node, "network.gateway",
           "required: the BIG-IP internal self IP the hosts route through (reference, Network "
           "and Host Prerequisites)");
    } else if (const auto& self = node.bigip.selfInternalAddress;
               self && self->address != gateway) {
      // A floating self IP as gateway is fine when bigip-self-ips lists it explicitly.
      const bool listed = node.config->network.count("bigip-self-ips") != 0;
      bool floating = false;
      for (const auto& address : node.network.bigipSelfIps) floating |= address == gateway;
      if (!listed || !floating)
        fail(node, "network.gateway",
             gateway + " is not the BIG-IP internal self IP " + self->address +
                 " (list a floating self IP in bigip-self-ips)");
    }
  }

  const PairModel& pair_;
  std::vector<std::string> errors_;
};

}  // namespace

PairCheck checkPair(const PairModel& pair) { return {Checker{pair}.run()}; }

PairCheck checkPair(const common::Config& node1, const common::Config& node2) {
  auto loaded = loadPair(node1, node2);
  if (!loaded.pair) return {std::move(loaded.errors)};
  return checkPair(*loaded.pair);
}

}  // namespace sipha::netcfg
