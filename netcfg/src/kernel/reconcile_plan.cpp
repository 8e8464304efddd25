#include "kernel/reconcile_plan.hpp"

#include <algorithm>

#include "config/address_text.hpp"

namespace sipha::netcfg::kernel {
namespace {

bool sameAddress(const Prefix& a, const Prefix& b) {
  return a.family == b.family && a.address == b.address;
}

bool sameDestination(const Prefix& a, const Prefix& b) {
  return a.family == b.family && a.length == b.length && a.address == b.address;
}

void planLinks(const DesiredState& desired, const ObservedState& observed, Plan& plan) {
  for (const auto& link : desired.links) {
    const ObservedLink* current = observed.findLink(link.name);
    if (current == nullptr) {
      plan.problems.push_back("link " + link.name + " does not exist");
      continue;
    }
    if (link.mtu && *link.mtu != current->mtu) {
      plan.actions.push_back({ActionKind::LinkMtu, link.name, {}, {}, *link.mtu, {}});
    }
    if (!current->up) plan.actions.push_back({ActionKind::LinkUp, link.name, {}, {}, 0, {}});
  }
}

void planAddresses(const DesiredState& desired, const ObservedState& observed, Plan& plan) {
  for (const auto& address : desired.addresses) {
    if (observed.findLink(address.link) == nullptr) continue;  // reported by planLinks
    bool present = false;
    for (const auto& current : observed.addresses) {
      if (!sameAddress(current.prefix, address.prefix)) continue;
      if (current.link == address.link && current.prefix.length == address.prefix.length) {
        present = true;
      } else {
        // The same address with another prefix length or on another link: replace it.
        plan.actions.push_back(
            {ActionKind::AddressRemove, current.link, current.prefix, {}, 0, address.purpose});
      }
    }
    if (!present) {
      plan.actions.push_back(
          {ActionKind::AddressAdd, address.link, address.prefix, {}, 0, address.purpose});
    }
  }
  for (const auto& address : desired.absentAddresses) {
    for (const auto& current : observed.addresses) {
      if (sameAddress(current.prefix, address.prefix)) {
        plan.actions.push_back(
            {ActionKind::AddressRemove, current.link, current.prefix, {}, 0, address.purpose});
      }
    }
  }
}

void planRoutes(const DesiredState& desired, const ObservedState& observed, Plan& plan) {
  for (const auto& route : desired.routes) {
    const auto current = std::find_if(
        observed.routes.begin(), observed.routes.end(), [&](const ObservedRoute& candidate) {
          return sameDestination(candidate.destination, route.destination);
        });
    if (current == observed.routes.end()) {
      plan.actions.push_back({ActionKind::RouteAdd, {}, route.destination, route.gateway, 0, {}});
    } else if (current->gateway != route.gateway) {
      plan.actions.push_back(
          {ActionKind::RouteReplace, {}, route.destination, route.gateway, 0, {}});
    }
  }
  for (const auto& current : observed.routes) {
    if (current.protocol != kRouteProtocol) continue;  // foreign: not ours to remove
    // A desired destination with another gateway is replaced above, not removed.
    const bool wanted = std::any_of(
        desired.routes.begin(), desired.routes.end(),
        [&](const DesiredRoute& r) { return sameDestination(r.destination, current.destination); });
    if (!wanted) {
      plan.actions.push_back(
          {ActionKind::RouteRemove, current.link, current.destination, current.gateway, 0, {}});
    }
  }
}

}  // namespace

const ObservedLink* ObservedState::findLink(const std::string& name) const {
  const auto found = std::find_if(links.begin(), links.end(),
                                  [&](const ObservedLink& link) { return link.name == name; });
  return found == links.end() ? nullptr : &*found;
}

std::string Action::describe() const {
  const std::string withPurpose = purpose.empty() ? "" : " (" + purpose + ")";
  switch (kind) {
    case ActionKind::LinkUp:
      return "link " + link + " set up";
    case ActionKind::LinkMtu:
      return "link " + link + " mtu set to " + std::to_string(mtu);
    case ActionKind::AddressAdd:
      return "address " + prefixText(prefix) + withPurpose + " added on " + link;
    case ActionKind::AddressRemove:
      return "address " + prefixText(prefix) + withPurpose + " removed from " + link;
    case ActionKind::RouteAdd:
      return "route " + prefixText(prefix) + " via " + gateway + " added";
    case ActionKind::RouteReplace:
      return "route " + prefixText(prefix) + " via " + gateway + " replaced";
    case ActionKind::RouteRemove:
      return "route " + prefixText(prefix) + " via " + gateway + " removed";
  }
  return "unknown change";
}

Plan planChanges(const DesiredState& desired, const ObservedState& observed) {
  Plan plan;
  planLinks(desired, observed, plan);
  planAddresses(desired, observed, plan);
  planRoutes(desired, observed, plan);
  return plan;
}

}  // namespace sipha::netcfg::kernel
