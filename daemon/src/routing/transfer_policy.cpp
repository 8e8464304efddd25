// TransferPolicies: refer-enabled and blind-transfer-enabled resolved per DN (reference DN
// tables, OpenScape Voice / CUCM / Cisco MGW chapters; docs/b2bua.md "Transfers").
#include "routing/transfer_policy.hpp"

#include <optional>

#include "common/config/option_values.hpp"
#include "routing/next_hop.hpp"

namespace sipha::routing {
namespace {

using common::Dn;
using common::DnType;

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A boolean DN option as written (common/config validated it); nullopt when absent.
std::optional<bool> flag(const Dn& dn, const char* name) {
  const auto found = dn.options.find(name);
  if (found == dn.options.end()) return std::nullopt;
  return common::parseBool(trim(found->second)).value;
}

bool isSoftswitch(const Dn& dn) {
  const auto found = dn.options.find("service-type");
  return dn.type == DnType::VoIPService && found != dn.options.end() &&
         trim(found->second) == "softswitch";
}

std::string lowerHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string out(host);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

}  // namespace

TransferPolicies TransferPolicies::build(const common::Config& config) {
  TransferPolicies policies;
  policies.defaults_.blindTransferEnabled = config.tserver.blindTransferEnabled;
  const bool tserverBlind = config.tserver.blindTransferEnabled;
  // VoIP Service DNs first: an Extension served by a softswitch inherits from it.
  for (const auto& [name, dn] : config.dns) {
    if (dn.type != DnType::VoIPService) continue;
    Entry entry;
    entry.options.referEnabled = flag(dn, "refer-enabled").value_or(true);
    entry.options.blindTransferEnabled = flag(dn, "blind-transfer-enabled").value_or(tserverBlind);
    policies.byDn_.emplace(name, entry);
  }
  for (const auto& [name, dn] : config.dns) {
    Entry entry;
    entry.options.blindTransferEnabled = tserverBlind;
    switch (dn.type) {
      case DnType::VoIPService:
        continue;
      case DnType::Extension: {
        entry.extension = true;
        const Entry* service = nullptr;
        if (const auto contact = dn.options.find("contact"); contact != dn.options.end()) {
          const auto found = policies.byDn_.find(trim(contact->second));
          if (found != policies.byDn_.end() && !found->second.extension) service = &found->second;
        }
        TransferOptions inherited = service ? service->options : policies.defaults_;
        entry.options.referEnabled = flag(dn, "refer-enabled").value_or(inherited.referEnabled);
        entry.options.blindTransferEnabled = inherited.blindTransferEnabled;
        break;
      }
      case DnType::Trunk:
      case DnType::RoutingPoint:
        // Not a VoIP Service DN: blind transfer follows [TServer].
        entry.options.referEnabled = flag(dn, "refer-enabled").value_or(true);
        break;
    }
    policies.byDn_.emplace(name, entry);
  }
  // Where trunks and softswitches send from: their contact and contact-backup hosts.
  for (const auto& [name, dn] : config.dns) {
    if (dn.type != DnType::Trunk && !isSoftswitch(dn)) continue;
    const TransferOptions options = policies.byDn_[name].options;
    for (const char* key : {"contact", "contact-backup"}) {
      const auto found = dn.options.find(key);
      if (found == dn.options.end()) continue;
      std::vector<NextHop> hops;
      parseContactList(found->second, hops);  // bad elements: reported by the routing table
      for (const NextHop& hop : hops) {
        policies.contacts_.push_back(
            Contact{lowerHost(hop.host), hop.port, hop.explicitPort, options});
      }
    }
  }
  return policies;
}

TransferOptions TransferPolicies::ofDn(std::string_view name) const {
  const auto found = byDn_.find(name);
  return found == byDn_.end() ? defaults_ : found->second.options;
}

TransferOptions TransferPolicies::ofCaller(std::string_view fromUser, std::string_view sourceHost,
                                           std::uint16_t sourcePort) const {
  if (const auto found = byDn_.find(fromUser); found != byDn_.end() && found->second.extension) {
    return found->second.options;
  }
  const std::string host = lowerHost(sourceHost);
  const Contact* hostOnly = nullptr;
  for (const Contact& contact : contacts_) {
    if (contact.host != host) continue;
    if (contact.port == sourcePort) return contact.options;
    if (!contact.explicitPort && hostOnly == nullptr) hostOnly = &contact;
  }
  return hostOnly ? hostOnly->options : defaults_;
}

}  // namespace sipha::routing
