#pragma once
// The kernel's network as read back through netlink (netlink_client.hpp): links, addresses and
// routes of the main table. Plain data, so the planner is tested without a kernel.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "config/network_config.hpp"

namespace sipha::netcfg::kernel {

struct ObservedLink {
  std::string name;
  int index = 0;
  bool up = false;  // IFF_UP
  std::uint32_t mtu = 0;
  std::array<std::uint8_t, 6> mac{};  // Ethernet address (zero when the link has none)
};

struct ObservedAddress {
  std::string link;
  Prefix prefix;
};

struct ObservedRoute {
  Prefix destination;
  std::string gateway;  // empty: on-link
  std::string link;     // output link, empty when unknown
  std::uint8_t protocol = 0;
};

struct ObservedState {
  std::vector<ObservedLink> links;
  std::vector<ObservedAddress> addresses;
  std::vector<ObservedRoute> routes;  // main table, unicast only

  const ObservedLink* findLink(const std::string& name) const;
};

}  // namespace sipha::netcfg::kernel
