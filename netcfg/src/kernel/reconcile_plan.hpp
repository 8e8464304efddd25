#pragma once
// What to change so the kernel matches the desired state: the difference, nothing more
// (systemd-networkd's reconcile-don't-fire-and-forget, STYLE.md). Pure: no kernel access.
#include <cstdint>
#include <string>
#include <vector>

#include "kernel/desired_state.hpp"
#include "kernel/observed_state.hpp"

namespace sipha::netcfg::kernel {

enum class ActionKind : std::uint8_t {
  LinkUp,
  LinkMtu,
  AddressAdd,
  AddressRemove,
  RouteAdd,
  RouteReplace,  // same destination, other gateway
  RouteRemove,   // ours (kRouteProtocol) but no longer desired
};

struct Action {
  ActionKind kind = ActionKind::LinkUp;
  std::string link;
  Prefix prefix;  // address, or route destination
  std::string gateway;
  std::uint32_t mtu = 0;
  std::string purpose;  // of an address: "service", "vip", ...

  // One line for the change report: "address 192.0.2.10/24 (service) added on eth0".
  std::string describe() const;
};

struct Plan {
  std::vector<Action> actions;        // links, then addresses, then routes
  std::vector<std::string> problems;  // what cannot be done: a configured link is missing
};

Plan planChanges(const DesiredState& desired, const ObservedState& observed);

}  // namespace sipha::netcfg::kernel
