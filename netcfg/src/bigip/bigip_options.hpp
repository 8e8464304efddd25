#pragma once
// The [network] options beginning with "bigip-": what the BIG-IP export names its objects and the
// BIG-IP's own addresses. Name defaults are the examples of the reference's BIG-IP chapter
// (docs/bigip.md lists every option). bigip-self-ips is the firewall's, parsed in config/.
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "common/config/config_error.hpp"
#include "config/network_config.hpp"

namespace sipha::netcfg {

struct BigipOptions {
  // Object names ("Configuring VLANs" ... "Configuring TLS").
  std::string vlanExternal = "dc1ext";
  std::string vlanExternalInterface = "1.3";
  std::string vlanInternal = "dc2sip";
  std::string vlanInternalInterface = "1.6";
  std::string selfExternal = "dc1ipext";
  std::string selfInternal = "dc2ipsip";
  std::string route = "Default";
  std::string nodePrimary = "nodeHa01Primary";
  std::string nodeBackup = "nodeHa01Backup";
  std::string monitor = "monSipUdp";
  std::string pool = "poolHa01";
  std::string dataGroupNodes = "dataGroupSnatHa01";
  std::string dataGroupExcluded = "dataGroupSnatExcludedHa01";
  std::string snatPool = "snatPoolVipHa01";
  std::string irule = "iRuleSnatOutboundHa01";
  std::string virtualOutbound = "vsWildCardOutbound";
  std::string virtualInbound = "vsWildcardInbound";
  std::string virtualUdp = "vsVipUdpHa01";
  std::string virtualTcp = "vsVipTcpHa01";
  std::string monitorTls = "monSipTls";
  std::string poolTls = "poolHa01tls";
  std::string virtualTls = "vsVipTlsHa01";
  // Addresses of the BIG-IP itself.
  std::optional<Prefix> selfExternalAddress;  // bigip-self-external-address (required to export)
  std::optional<Prefix> selfInternalAddress;  // bigip-self-internal-address (default: gateway/len)
  std::string routeGateway;                   // bigip-route-gateway (required to export)
  // What the virtual servers listen on; checked against [TServer] (defaults: the same values).
  std::string virtualAddress;                   // bigip-virtual-address
  std::optional<std::uint16_t> virtualPort;     // bigip-virtual-port
  std::optional<std::uint16_t> virtualPortTls;  // bigip-virtual-port-tls
  bool disableUdpTcp = false;                   // bigip-disable-udp-tcp: TLS only
};

struct BigipOptionsResult {
  BigipOptions options;
  std::vector<common::ConfigError> errors;  // FILE:LINE: option 'network.bigip-...': reason
};

BigipOptionsResult parseBigipOptions(const common::Config& config);

}  // namespace sipha::netcfg
