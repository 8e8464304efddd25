#pragma once
// The network the node should have: the reconciler's input (docs/network.md, "Reconciliation").
// Built from the [network] section and the node's role; pure data, no kernel access.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/network_config.hpp"

namespace sipha::netcfg::kernel {

// Routes sipha installs carry this rtnetlink protocol number (rtm_protocol; values above
// RTPROT_STATIC are free for daemons, rtnetlink.h), so they are told from foreign routes.
inline constexpr std::uint8_t kRouteProtocol = 0xa5;

struct DesiredLink {
  std::string name;
  std::optional<std::uint32_t> mtu;  // unset: leave the MTU alone
  // Always: administratively up.
};

struct DesiredAddress {
  std::string link;
  Prefix prefix;
  std::string purpose;  // "service", "ha", "management", "vip": for the change report
};

struct DesiredRoute {
  Prefix destination;  // 0.0.0.0/0 or ::/0 for the default route
  std::string gateway;
};

struct DesiredState {
  std::vector<DesiredLink> links;
  std::vector<DesiredAddress> addresses;
  std::vector<DesiredRoute> routes;
  // Addresses that must not be on the node: the VIP while backup (takeover mode).
  std::vector<DesiredAddress> absentAddresses;
};

// The VIP as an address on the service link (takeover mode): [TServer] sip-address with
// vip-prefix-length. Empty optional in bigip mode or without a valid sip-address.
std::optional<DesiredAddress> vipAddress(const common::Config& config,
                                         const NetworkConfig& network);

// The whole table. holdsVip: takeover mode and primary; when false in takeover mode the VIP is
// listed in absentAddresses. In bigip mode the VIP is never on the host (issue item 4).
DesiredState desiredState(const common::Config& config, const NetworkConfig& network,
                          bool holdsVip);

// The same table without any statement about the VIP (neither present nor absent): what the
// one-shot `sipha-netcfg apply` reconciles, leaving the role to the service.
DesiredState desiredStateWithoutVip(const common::Config& config, const NetworkConfig& network);

}  // namespace sipha::netcfg::kernel
