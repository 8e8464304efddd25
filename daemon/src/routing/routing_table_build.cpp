// RoutingTable::build: from the configuration's DN objects to the lookup structures route() uses.
// Option names and meanings: the reference's DN tables (Trunk: contact, contact-backup, prefix,
// replace-prefix, priority, oos-check, oos-force, recovery-timeout; VoIP Service: service-type,
// contact, contact-backup, oos-*), plus the appliance's Routing Point strategy (targets,
// strategy, overflow, no-answer-timeout) documented in docs/routing.md.
#include <algorithm>
#include <charconv>
#include <chrono>

#include "routing/routing_table.hpp"

namespace sipha::routing {
namespace {

using common::Dn;
using common::DnType;

constexpr timer::Duration kDefaultNoAnswerTimeout = std::chrono::seconds(20);

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

const std::string* option(const Dn& dn, std::string_view name) {
  const auto found = dn.options.find(std::string(name));
  return found == dn.options.end() ? nullptr : &found->second;
}

bool parseNumber(std::string_view text, std::uint64_t& value) {
  text = trim(text);
  const auto* end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, value);
  return !text.empty() && parsed.ec == std::errc{} && parsed.ptr == end;
}

// A seconds option within [0, max]. common/config refuses a file with a value out of the
// reference's range; checked again for configurations built in code. Bad: reported, 0 used.
timer::Duration seconds(const Dn& dn, std::string_view name, std::uint64_t max,
                        std::vector<BuildError>& errors) {
  const auto* text = option(dn, name);
  if (text == nullptr) return timer::Duration{0};
  std::uint64_t value = 0;
  if (!parseNumber(*text, value) || value > max) {
    errors.push_back({dn.name, std::string(name),
                      "expected seconds 0-" + std::to_string(max) + ", got '" + *text + "'"});
    return timer::Duration{0};
  }
  return std::chrono::seconds(value);
}

// Splits a comma list into trimmed non-empty elements.
std::vector<std::string_view> splitList(std::string_view text) {
  std::vector<std::string_view> items;
  while (true) {
    const auto comma = text.find(',');
    const auto item = trim(text.substr(0, comma));
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

bool isSoftswitch(const Dn& dn) {
  const auto* type = option(dn, "service-type");
  return dn.type == DnType::VoIPService && type != nullptr && trim(*type) == "softswitch";
}

}  // namespace

RoutingTable RoutingTable::build(const common::Config& config, std::vector<BuildError>& errors) {
  RoutingTable table;
  // Deterministic order whatever the hash map's: by DN name.
  std::vector<const Dn*> dns;
  dns.reserve(config.dns.size());
  for (const auto& entry : config.dns) dns.push_back(&entry.second);
  std::sort(dns.begin(), dns.end(), [](const Dn* a, const Dn* b) { return a->name < b->name; });

  // Contacts (contact, then contact-backup) of a Trunk or softswitch, as monitored contacts.
  auto addContacts = [&](const Dn& dn, std::vector<std::uint32_t>& indices) {
    const auto* contact = option(dn, "contact");
    if (contact == nullptr) {
      errors.push_back({dn.name, "contact", "a contact is required"});
      return false;
    }
    std::vector<NextHop> hops;
    if (auto reason = parseContactList(*contact, hops); !reason.empty()) {
      errors.push_back({dn.name, "contact", reason});
      return false;
    }
    if (const auto* backup = option(dn, "contact-backup")) {
      if (auto reason = parseContactList(*backup, hops); !reason.empty()) {
        errors.push_back({dn.name, "contact-backup", reason});  // the primary list still works
      }
    }
    HealthSettings settings;
    settings.oosCheck = seconds(dn, "oos-check", 300, errors);
    settings.oosForce = seconds(dn, "oos-force", 30, errors);
    settings.recoveryTimeout = seconds(dn, "recovery-timeout", 86400, errors);
    for (auto& hop : hops) {
      indices.push_back(static_cast<std::uint32_t>(table.contacts_.size()));
      table.contacts_.push_back(MonitoredContact{dn.name, std::move(hop), settings, HealthId{}});
    }
    return true;
  };

  // Softswitches first: Extensions refer to them by name.
  std::unordered_map<std::string_view, std::uint32_t> softswitchByName;
  for (const Dn* dn : dns) {
    if (!isSoftswitch(*dn)) continue;
    Softswitch softswitch{dn->name, {}};
    if (!addContacts(*dn, softswitch.contacts)) continue;
    softswitchByName.emplace(dn->name, static_cast<std::uint32_t>(table.softswitches_.size()));
    table.softswitches_.push_back(std::move(softswitch));
  }

  for (const Dn* dn : dns) {
    switch (dn->type) {
      case DnType::Extension: {
        Named named{Kind::Extension, kNone};
        if (const auto* contact = option(*dn, "contact")) {
          const auto found = softswitchByName.find(trim(*contact));
          if (found == softswitchByName.end()) {
            errors.push_back({dn->name, "contact",
                              "an Extension's contact must name a VoIPService DN with "
                              "service-type = softswitch; '" +
                                  *contact + "' does not"});
          } else {
            named.index = found->second;
          }
        }
        table.names_.emplace(dn->name, named);
        break;
      }
      case DnType::Trunk: {
        Trunk trunk;
        trunk.name = dn->name;
        if (const auto* priority = option(*dn, "priority")) {
          if (!parseNumber(*priority, trunk.priority)) {
            errors.push_back({dn->name, "priority", "expected a non-negative integer"});
          }
        }
        if (const auto* replace = option(*dn, "replace-prefix")) {
          trunk.replacePrefix = std::string(trim(*replace));
          trunk.hasReplacePrefix = true;
        }
        if (!addContacts(*dn, trunk.contacts)) break;
        const auto* prefix = option(*dn, "prefix");
        const auto prefixes =
            prefix == nullptr ? std::vector<std::string_view>{} : splitList(*prefix);
        if (prefixes.empty()) {
          errors.push_back({dn->name, "prefix", "a Trunk without a prefix is never selected"});
        }
        const auto index = static_cast<std::uint32_t>(table.trunks_.size());
        for (const auto text : prefixes) {
          table.prefixes_[std::string(text)].push_back(index);
          table.longestPrefix_ = std::max(table.longestPrefix_, text.size());
        }
        table.trunks_.push_back(std::move(trunk));
        break;
      }
      case DnType::RoutingPoint: {
        RoutingPoint point;
        point.name = dn->name;
        timer::Duration timeout = kDefaultNoAnswerTimeout;
        if (option(*dn, "no-answer-timeout") != nullptr) {
          timeout = seconds(*dn, "no-answer-timeout", 3600, errors);
          if (timeout.count() == 0) timeout = kDefaultNoAnswerTimeout;
        }
        if (const auto* strategy = option(*dn, "strategy")) {
          const auto value = trim(*strategy);
          if (value == "round-robin") {
            point.roundRobin = true;
          } else if (value != "ordered") {
            errors.push_back(
                {dn->name, "strategy", "expected ordered or round-robin, got '" + *strategy + "'"});
          }
        }
        if (const auto* targets = option(*dn, "targets")) {
          // "1001, 1002:30": a target number, optionally its own no-answer timeout in seconds.
          for (const auto item : splitList(*targets)) {
            Target target{std::string(item), timeout};
            if (const auto colon = item.rfind(':'); colon != std::string_view::npos) {
              std::uint64_t value = 0;
              if (!parseNumber(item.substr(colon + 1), value) || value == 0 || value > 3600) {
                errors.push_back(
                    {dn->name, "targets", "'" + std::string(item) + "': timeout must be 1-3600 s"});
                continue;
              }
              target.number = std::string(trim(item.substr(0, colon)));
              target.timeout = std::chrono::seconds(value);
            }
            point.targets.push_back(std::move(target));
          }
        }
        if (const auto* overflow = option(*dn, "overflow")) point.overflow = trim(*overflow);
        if (point.targets.empty() && point.overflow.empty()) {
          errors.push_back({dn->name, "targets", "a Routing Point needs targets or an overflow"});
        }
        table.names_.emplace(
            dn->name,
            Named{Kind::RoutingPoint, static_cast<std::uint32_t>(table.routingPoints_.size())});
        table.routingPoints_.push_back(std::move(point));
        break;
      }
      case DnType::VoIPService:
        break;  // softswitches handled above; other services are not routing targets
    }
  }

  // Try order among trunks sharing a prefix: lower priority value first, then DN name (the
  // trunks are already in name order, so a stable sort keeps it).
  for (auto& entry : table.prefixes_) {
    std::stable_sort(entry.second.begin(), entry.second.end(),
                     [&](std::uint32_t a, std::uint32_t b) {
                       return table.trunks_[a].priority < table.trunks_[b].priority;
                     });
  }
  return table;
}

void RoutingTable::takeCursorsFrom(const RoutingTable& previous) {
  for (auto& point : routingPoints_) {
    const auto found = previous.names_.find(point.name);
    if (found == previous.names_.end() || found->second.kind != Kind::RoutingPoint) continue;
    point.cursor = previous.routingPoints_[found->second.index].cursor;
  }
}

}  // namespace sipha::routing
