#include "kernel/netlink_client.hpp"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <algorithm>
#include <cstring>

namespace sipha::netcfg::kernel {
namespace {

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* object) const noexcept { Free(object); }
};
using CachePtr = std::unique_ptr<nl_cache, Freer<nl_cache, nl_cache_free>>;
using AddrPtr = std::unique_ptr<nl_addr, Freer<nl_addr, nl_addr_put>>;
using LinkPtr = std::unique_ptr<rtnl_link, Freer<rtnl_link, rtnl_link_put>>;
using RtnlAddrPtr = std::unique_ptr<rtnl_addr, Freer<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Freer<rtnl_route, rtnl_route_put>>;

std::string libnlError(const char* what, int error) {
  return std::string{what} + ": " + nl_geterror(error < 0 ? -error : error);
}

// An nl_addr as a canonical literal; zero-length (the default route's dst) as the family's any.
std::string addressText(const nl_addr* address, int family) {
  char buffer[INET6_ADDRSTRLEN] = {};
  unsigned char zero[16] = {};
  const void* bytes = zero;
  if (address != nullptr && nl_addr_get_len(address) > 0) {
    const unsigned expected = family == AF_INET ? 4 : 16;
    if (nl_addr_get_len(address) != expected) return {};
    bytes = nl_addr_get_binary_addr(address);
  }
  if (inet_ntop(family, bytes, buffer, sizeof(buffer)) == nullptr) return {};
  return buffer;
}

std::string linkName(const ObservedState& state, int index) {
  const auto found = std::find_if(state.links.begin(), state.links.end(),
                                  [&](const ObservedLink& link) { return link.index == index; });
  return found == state.links.end() ? std::string{} : found->name;
}

void readLinks(nl_cache* cache, ObservedState& out) {
  for (nl_object* object = nl_cache_get_first(cache); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* link = reinterpret_cast<rtnl_link*>(object);
    ObservedLink observed;
    const char* name = rtnl_link_get_name(link);
    observed.name = name != nullptr ? name : "";
    observed.index = rtnl_link_get_ifindex(link);
    observed.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    observed.mtu = rtnl_link_get_mtu(link);
    const nl_addr* mac = rtnl_link_get_addr(link);
    if (mac != nullptr && nl_addr_get_len(mac) == observed.mac.size()) {
      std::memcpy(observed.mac.data(), nl_addr_get_binary_addr(mac), observed.mac.size());
    }
    out.links.push_back(std::move(observed));
  }
}

void readAddresses(nl_cache* cache, ObservedState& out) {
  for (nl_object* object = nl_cache_get_first(cache); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* address = reinterpret_cast<rtnl_addr*>(object);
    const int family = rtnl_addr_get_family(address);
    if (family != AF_INET && family != AF_INET6) continue;
    std::string text = addressText(rtnl_addr_get_local(address), family);
    if (text.empty()) continue;
    out.addresses.push_back(
        {linkName(out, rtnl_addr_get_ifindex(address)),
         Prefix{std::move(text), static_cast<std::uint8_t>(rtnl_addr_get_prefixlen(address)),
                family}});
  }
}

void readRoutes(nl_cache* cache, ObservedState& out) {
  for (nl_object* object = nl_cache_get_first(cache); object != nullptr;
       object = nl_cache_get_next(object)) {
    auto* route = reinterpret_cast<rtnl_route*>(object);
    const int family = rtnl_route_get_family(route);
    if ((family != AF_INET && family != AF_INET6) || rtnl_route_get_table(route) != RT_TABLE_MAIN ||
        rtnl_route_get_type(route) != RTN_UNICAST) {
      continue;
    }
    const nl_addr* destination = rtnl_route_get_dst(route);
    ObservedRoute observed;
    observed.destination.address = addressText(destination, family);
    observed.destination.length =
        static_cast<std::uint8_t>(destination != nullptr ? nl_addr_get_prefixlen(destination) : 0);
    observed.destination.family = family;
    observed.protocol = rtnl_route_get_protocol(route);
    if (rtnl_route_get_nnexthops(route) > 0) {
      rtnl_nexthop* hop = rtnl_route_nexthop_n(route, 0);
      const nl_addr* gateway = rtnl_route_nh_get_gateway(hop);
      if (gateway != nullptr) observed.gateway = addressText(gateway, family);
      observed.link = linkName(out, rtnl_route_nh_get_ifindex(hop));
    }
    out.routes.push_back(std::move(observed));
  }
}

AddrPtr parseAddr(const std::string& text, int family) {
  nl_addr* parsed = nullptr;
  if (nl_addr_parse(text.c_str(), family, &parsed) < 0) return nullptr;
  return AddrPtr{parsed};
}

}  // namespace

void NetlinkClient::SocketDeleter::operator()(nl_sock* socket) const noexcept {
  nl_socket_free(socket);
}

NetlinkClient::NetlinkClient() = default;
NetlinkClient::~NetlinkClient() = default;

std::string NetlinkClient::open() {
  socket_.reset(nl_socket_alloc());
  if (!socket_) return "cannot allocate a netlink socket";
  const int r = nl_connect(socket_.get(), NETLINK_ROUTE);
  if (r < 0) {
    socket_.reset();
    return libnlError("cannot connect to rtnetlink", r);
  }
  return {};
}

std::string NetlinkClient::read(ObservedState& out) {
  if (!socket_) return "netlink socket not open";
  out = {};
  nl_cache* raw = nullptr;
  int r = rtnl_link_alloc_cache(socket_.get(), AF_UNSPEC, &raw);
  if (r < 0) return libnlError("cannot read links", r);
  CachePtr links{raw};
  readLinks(links.get(), out);
  r = rtnl_addr_alloc_cache(socket_.get(), &raw);
  if (r < 0) return libnlError("cannot read addresses", r);
  CachePtr addresses{raw};
  readAddresses(addresses.get(), out);
  r = rtnl_route_alloc_cache(socket_.get(), AF_UNSPEC, 0, &raw);
  if (r < 0) return libnlError("cannot read routes", r);
  CachePtr routes{raw};
  readRoutes(routes.get(), out);
  return {};
}

std::string NetlinkClient::apply(const Action& action, const ObservedState& observed) {
  if (!socket_) return "netlink socket not open";
  const std::string what = action.describe();
  const ObservedLink* link = observed.findLink(action.link);
  switch (action.kind) {
    case ActionKind::LinkUp:
    case ActionKind::LinkMtu: {
      if (link == nullptr) return what + ": no such link";
      rtnl_link* raw = nullptr;
      int r = rtnl_link_get_kernel(socket_.get(), link->index, nullptr, &raw);
      if (r < 0) return libnlError(what.c_str(), r);
      LinkPtr current{raw};
      LinkPtr change{rtnl_link_alloc()};
      if (!change) return what + ": out of memory";
      if (action.kind == ActionKind::LinkUp) {
        rtnl_link_set_flags(change.get(), IFF_UP);
      } else {
        rtnl_link_set_mtu(change.get(), action.mtu);
      }
      r = rtnl_link_change(socket_.get(), current.get(), change.get(), 0);
      return r < 0 ? libnlError(what.c_str(), r) : std::string{};
    }
    case ActionKind::AddressAdd:
    case ActionKind::AddressRemove: {
      if (link == nullptr) return what + ": no such link";
      RtnlAddrPtr address{rtnl_addr_alloc()};
      AddrPtr local = parseAddr(action.prefix.address, action.prefix.family);
      if (!address || !local) return what + ": cannot build the request";
      rtnl_addr_set_ifindex(address.get(), link->index);
      rtnl_addr_set_family(address.get(), action.prefix.family);
      // set_local copies the nl_addr's own prefix length (/32): set the length after it.
      if (rtnl_addr_set_local(address.get(), local.get()) < 0) return what + ": bad address";
      rtnl_addr_set_prefixlen(address.get(), action.prefix.length);
      int r = 0;
      if (action.kind == ActionKind::AddressAdd) {
        // No duplicate address detection (RFC 4862 section 5.4 allows skipping it): the VIP
        // must answer at once after a takeover, and the service address is ours by config.
        if (action.prefix.family == AF_INET6) rtnl_addr_set_flags(address.get(), IFA_F_NODAD);
        r = rtnl_addr_add(socket_.get(), address.get(), 0);
      } else {
        r = rtnl_addr_delete(socket_.get(), address.get(), 0);
      }
      return r < 0 ? libnlError(what.c_str(), r) : std::string{};
    }
    case ActionKind::RouteAdd:
    case ActionKind::RouteReplace:
    case ActionKind::RouteRemove: {
      RoutePtr route{rtnl_route_alloc()};
      AddrPtr destination = parseAddr(
          action.prefix.address + "/" + std::to_string(action.prefix.length), action.prefix.family);
      AddrPtr gateway = parseAddr(action.gateway, action.prefix.family);
      rtnl_nexthop* hop = rtnl_route_nh_alloc();
      if (!route || !destination || !gateway || hop == nullptr) {
        if (hop != nullptr) rtnl_route_nh_free(hop);
        return what + ": cannot build the request";
      }
      rtnl_route_set_family(route.get(), static_cast<std::uint8_t>(action.prefix.family));
      rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
      rtnl_route_set_type(route.get(), RTN_UNICAST);
      rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
      rtnl_route_set_protocol(route.get(), kRouteProtocol);
      rtnl_route_set_dst(route.get(), destination.get());
      rtnl_route_nh_set_gateway(hop, gateway.get());
      rtnl_route_add_nexthop(route.get(), hop);  // the route owns the hop now
      int r = 0;
      if (action.kind == ActionKind::RouteRemove) {
        r = rtnl_route_delete(socket_.get(), route.get(), 0);
      } else {
        r = rtnl_route_add(socket_.get(), route.get(),
                           action.kind == ActionKind::RouteReplace ? NLM_F_REPLACE : NLM_F_EXCL);
      }
      return r < 0 ? libnlError(what.c_str(), r) : std::string{};
    }
  }
  return what + ": unknown action";
}

}  // namespace sipha::netcfg::kernel
