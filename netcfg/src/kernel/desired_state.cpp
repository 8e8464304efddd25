#include "kernel/desired_state.hpp"

#include <sys/socket.h>

#include <algorithm>

#include "config/address_text.hpp"

namespace sipha::netcfg::kernel {
namespace {

void addLink(DesiredState& state, const std::string& name, std::optional<std::uint32_t> mtu) {
  const auto found = std::find_if(state.links.begin(), state.links.end(),
                                  [&](const DesiredLink& link) { return link.name == name; });
  if (found == state.links.end()) {
    state.links.push_back({name, mtu});
  } else if (mtu) {
    found->mtu = mtu;
  }
}

Prefix defaultDestination(int family) {
  return family == AF_INET6 ? Prefix{"::", 0, AF_INET6} : Prefix{"0.0.0.0", 0, AF_INET};
}

}  // namespace

std::optional<DesiredAddress> vipAddress(const common::Config& config,
                                         const NetworkConfig& network) {
  if (network.mode != NetworkMode::Takeover) return std::nullopt;
  auto vip = parseAddress(config.tserver.sipAddress);
  if (!vip.value) return std::nullopt;
  const int family = addressFamily(*vip.value);
  const std::uint8_t maxLength = family == AF_INET ? 32 : 128;
  return DesiredAddress{
      network.serviceLink,
      Prefix{*vip.value, std::min(network.vipPrefixLength, maxLength), family},
      "vip",
  };
}

DesiredState desiredStateWithoutVip(const common::Config&, const NetworkConfig& network) {
  DesiredState state;
  addLink(state, network.serviceLink, network.serviceMtu);
  state.addresses.push_back({network.serviceLink, network.serviceAddress, "service"});
  const std::string& haLink = network.haLink.empty() ? network.serviceLink : network.haLink;
  addLink(state, haLink, std::nullopt);
  if (network.haAddress) state.addresses.push_back({haLink, *network.haAddress, "ha"});
  const std::string& managementLink =
      network.managementLink.empty() ? network.serviceLink : network.managementLink;
  addLink(state, managementLink, std::nullopt);
  if (network.managementAddress) {
    state.addresses.push_back({managementLink, *network.managementAddress, "management"});
  }
  // The reference, "Network and Host Prerequisites": the BIG-IP self IP is the hosts' default
  // gateway.
  if (!network.gateway.empty()) {
    state.routes.push_back({defaultDestination(addressFamily(network.gateway)), network.gateway});
  }
  for (const auto& route : network.routes) {
    state.routes.push_back({route.destination, route.gateway});
  }
  return state;
}

DesiredState desiredState(const common::Config& config, const NetworkConfig& network,
                          bool holdsVip) {
  DesiredState state = desiredStateWithoutVip(config, network);
  if (auto vip = vipAddress(config, network)) {
    (holdsVip ? state.addresses : state.absentAddresses).push_back(*vip);
  }
  return state;
}

}  // namespace sipha::netcfg::kernel
