#include "core/trusted_sources.hpp"

#include "routing/next_hop.hpp"

namespace sipha::core {
namespace {

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The DNs that carry calls into sipd from elsewhere: trunks (gateways) and softswitches
// (docs/routing.md rule 1), the same set as routing's monitored contacts.
bool sendsCalls(const common::Dn& dn) {
  if (dn.type == common::DnType::Trunk) return true;
  if (dn.type != common::DnType::VoIPService) return false;
  const auto found = dn.options.find("service-type");
  return found != dn.options.end() && trim(found->second) == "softswitch";
}

}  // namespace

TrustedSources TrustedSources::build(const common::Config& config,
                                     std::vector<std::string>& hostNames) {
  TrustedSources trusted;
  for (const common::IpNetwork& network : config.tserver.trustedNetworks) {
    if (network.isHost()) {
      trusted.hosts_.insert(network.address);
    } else {
      trusted.networks_.push_back(network);
    }
  }
  std::vector<routing::NextHop> hops;
  for (const auto& [name, dn] : config.dns) {
    if (!sendsCalls(dn)) continue;
    for (const char* key : {"contact", "contact-backup"}) {
      const auto found = dn.options.find(key);
      if (found == dn.options.end()) continue;
      hops.clear();
      routing::parseContactList(found->second, hops);  // bad elements: routing reports them
      for (const routing::NextHop& hop : hops) {
        if (const auto address = common::IpAddress::parse(hop.host)) {
          trusted.hosts_.insert(*address);
        } else {
          hostNames.push_back("DN " + name + " " + key + " host " + hop.host);
        }
      }
    }
  }
  return trusted;
}

bool TrustedSources::contains(const common::IpAddress& source) const {
  if (hosts_.count(source) != 0) return true;
  for (const common::IpNetwork& network : networks_) {
    if (network.contains(source)) return true;
  }
  return false;
}

}  // namespace sipha::core
