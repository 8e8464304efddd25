#pragma once
// The [network] section of the appliance configuration, validated (sipha-netcfg owns it).
// Option names and meanings: docs/network.md. Addresses are literal IPv4/IPv6; prefixes CIDR.
// Options starting with "bigip-" (export object names) are parsed by bigip/ instead.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config/config.hpp"
#include "common/config/config_error.hpp"

namespace sipha::netcfg {

enum class NetworkMode { Bigip, Takeover };

struct Prefix {         // an address with its prefix length, "192.168.167.125/24"
  std::string address;  // literal, no brackets
  std::uint8_t length = 0;
  int family = 0;  // AF_INET or AF_INET6
};

struct StaticRoute {
  Prefix destination;   // "10.50.0.0/16"
  std::string gateway;  // "192.168.167.254"
};

struct NetworkConfig {
  NetworkMode mode = NetworkMode::Bigip;     // mode = bigip | takeover
  std::string serviceLink;                   // service-link: the link sipd's sip-interface is on
  Prefix serviceAddress;                     // service-address: = [TServer] sip-interface + prefix
  std::optional<std::uint32_t> serviceMtu;   // service-mtu
  std::string haLink;                        // ha-link (empty: HA traffic on the service link)
  std::optional<Prefix> haAddress;           // ha-address
  std::string peerHaAddress;                 // peer-ha-address: the other node on the HA link
  std::string peerServiceAddress;            // peer-service-address: the other node's sip-interface
  std::string managementLink;                // management-link (empty: the service link)
  std::optional<Prefix> managementAddress;   // management-address
  std::vector<Prefix> managementNetworks;    // management-networks: who may reach the web UI
  std::string gateway;                       // gateway: default route (the BIG-IP self IP)
  std::vector<std::string> bigipSelfIps;     // bigip-self-ips: ICMP echo allowed (default gateway)
  std::vector<StaticRoute> routes;           // routes = "NET/LEN via GW, ..."
  std::uint8_t vipPrefixLength = 32;         // vip-prefix-length (takeover: VIP = sip-address)
  std::vector<Prefix> snatExclusions;        // snat-exclusions: never source-NATed to the VIP
  std::vector<std::string> configServers;    // config-server: must be in snat-exclusions
  std::vector<std::string> messageServers;   // message-servers: must be in snat-exclusions
  std::vector<std::string> dnsServers;       // dns-servers: must be in snat-exclusions
  std::vector<std::string> ldapServers;      // ldap-servers: must be in snat-exclusions
  std::vector<std::string> otherSipServers;  // other-sip-servers: must be in snat-exclusions
  std::uint16_t haPortFirst = 7700;          // ha-ports = 7700-7701 (agent heartbeat, replication)
  std::uint16_t haPortLast = 7701;
  std::uint16_t webuiPort = 443;      // [webui] port
  unsigned announceCount = 3;         // announce-count: gratuitous ARP / NA repeats
  unsigned announceIntervalMs = 200;  // announce-interval-ms
  unsigned announceRefreshS = 10;     // announce-refresh-s: one more while primary; 0: off
};

struct NetworkConfigResult {
  std::optional<NetworkConfig> config;      // set only when errors is empty
  std::vector<common::ConfigError> errors;  // FILE:LINE: option 'network.NAME': reason
};

// Whether the file has [network] options. A file without them leaves the network unmanaged
// (`serve` runs unconfigured, `apply` does nothing). The loader keeps no trace of an empty
// [network] header, so one is treated like no section.
inline bool hasNetworkSection(const common::Config& config) { return !config.network.empty(); }

// Validates config.network (and the [TServer]/[webui] values it depends on).
NetworkConfigResult parseNetworkConfig(const common::Config& config);

}  // namespace sipha::netcfg
