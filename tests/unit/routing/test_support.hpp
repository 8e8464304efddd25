#pragma once
// Builds configurations and binding lookups for the routing tests.
#include <initializer_list>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/config/config.hpp"
#include "registrar/types.hpp"
#include "routing/routing_table.hpp"

namespace sipha::routing {
// For Boost.Test messages.
inline std::ostream& operator<<(std::ostream& out, HealthId id) {
  return out << "HealthId{" << id.index << "," << id.generation << "}";
}
}  // namespace sipha::routing

namespace sipha::routing::test {

inline void addDn(common::Config& config, std::string name, common::DnType type,
                  std::initializer_list<std::pair<const std::string, std::string>> options = {}) {
  common::Dn dn;
  dn.name = name;
  dn.type = type;
  dn.options = options;
  config.dns.emplace(std::move(name), std::move(dn));
}

inline RoutingTable buildClean(const common::Config& config) {
  std::vector<BuildError> errors;
  auto table = RoutingTable::build(config, errors);
  if (!errors.empty()) {
    throw std::runtime_error("unexpected build error: " + errors.front().dn + "." +
                             errors.front().option + ": " + errors.front().reason);
  }
  return table;
}

// A registrar stand-in: Extension -> bindings.
struct FakeRegistrations {
  std::map<std::string, std::vector<registrar::Binding>, std::less<>> bindings;
  int lookups = 0;

  void add(const std::string& user, std::string uri, std::optional<std::uint16_t> q = {},
           std::string source = "udp:192.0.2.1:5060") {
    registrar::Binding binding;
    binding.uri = std::move(uri);
    binding.q = q;
    binding.source = std::move(source);
    binding.expires = 3600;
    bindings[user].push_back(std::move(binding));
  }
  BindingLookup lookup() {
    return [this](std::string_view user) {
      ++lookups;
      const auto found = bindings.find(user);
      return found == bindings.end() ? std::vector<registrar::Binding>{} : found->second;
    };
  }
};

// Marks chosen contacts out of service (by health id index) without a HealthMonitor.
struct FakeHealth final : ServiceView {
  std::vector<HealthId> down;
  bool inService(HealthId id) const noexcept override {
    for (const auto& d : down) {
      if (d == id) return false;
    }
    return true;
  }
};

// Gives every monitored contact of `table` a distinct id (what HealthMonitor::reconcile does).
inline void numberContacts(RoutingTable& table) {
  std::uint32_t next = 0;
  for (auto& contact : table.monitoredContacts()) contact.health = HealthId{next++, 0};
}

// The id of the contact of DN `dn` whose host is `host`.
inline HealthId contactId(const RoutingTable& table, std::string_view dn, std::string_view host) {
  for (const auto& contact : table.monitoredContacts()) {
    if (contact.dn == dn && contact.hop.host == host) return contact.health;
  }
  throw std::runtime_error("no such contact");
}

inline std::vector<std::string> uris(const RouteResult& result) {
  std::vector<std::string> out;
  for (const auto& attempt : result.attempts) out.push_back(attempt.requestUri);
  return out;
}

}  // namespace sipha::routing::test
