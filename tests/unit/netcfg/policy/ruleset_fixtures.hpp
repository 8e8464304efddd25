#pragma once
// A takeover node in documentation ranges (RFC 5737): service 198.51.100.11/24 on svc0 with the
// VIP 198.51.100.10, peer .12, HA link ha0 10.99.0.1/30 (peer .2), management mgmt0.
#include <sys/socket.h>

#include "common/config/config.hpp"
#include "config/network_config.hpp"

namespace sipha::netcfg::test {

inline common::Config tserverConfig() {
  common::Config config;
  config.path = "node1.ini";
  config.tserver.sipAddress = "198.51.100.10";
  config.tserver.sipInterface = "198.51.100.11";
  config.tserver.sipPort = 5060;
  config.tserver.sipPortTls = 5061;
  return config;
}

inline NetworkConfig takeoverNetwork() {
  NetworkConfig network;
  network.mode = NetworkMode::Takeover;
  network.serviceLink = "svc0";
  network.serviceAddress = {"198.51.100.11", 24, AF_INET};
  network.haLink = "ha0";
  network.haAddress = Prefix{"10.99.0.1", 30, AF_INET};
  network.peerHaAddress = "10.99.0.2";
  network.peerServiceAddress = "198.51.100.12";
  network.managementLink = "mgmt0";
  network.managementNetworks = {{"203.0.113.0", 28, AF_INET}};
  network.gateway = "198.51.100.1";
  network.bigipSelfIps = {"198.51.100.1", "198.51.100.2"};
  network.snatExclusions = {{"192.0.2.53", 32, AF_INET}, {"10.20.0.0", 16, AF_INET}};
  network.webuiPort = 8443;
  return network;
}

}  // namespace sipha::netcfg::test
