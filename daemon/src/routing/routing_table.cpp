// RoutingTable::route: one dialled number to an ordered plan of attempts (rules in the header
// and docs/routing.md).
#include "routing/routing_table.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace sipha::routing {
namespace {

// RFC 3261 10.2.1.2: a contact without q is treated here as q=1.0 (the most preferred), so
// phones that do not send q are forked together.
constexpr std::uint16_t kDefaultQ = 1000;

// The number is a Request-URI user part as received, escapes not decoded: RFC 3261 25.1
// user = 1*( unreserved / escaped / user-unreserved ). Anything else would break the outbound
// Request-URI it is copied into.
bool validUser(std::string_view user) noexcept {
  constexpr std::string_view kMarks = "-_.!~*'()&=+$,;?/";
  for (std::size_t i = 0; i < user.size(); ++i) {
    const auto c = static_cast<unsigned char>(user[i]);
    if (std::isalnum(c) != 0 || kMarks.find(static_cast<char>(c)) != std::string_view::npos) {
      continue;
    }
    if (c == '%' && i + 2 < user.size() && std::isxdigit(static_cast<unsigned char>(user[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(user[i + 2]))) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

void RoutingTable::route(std::string_view number, const BindingLookup& lookup,
                         const ServiceView* health, RouteResult& out) {
  out.attempts.clear();
  ++counters_.requests;
  if (number.empty() || number.size() > kMaxNumberLength || !validUser(number)) {
    ++counters_.rejectedInput;
    ++counters_.notFound;
    out.status = 404;
    return;
  }
  Context context{&lookup, health, &out.attempts, 0};
  out.status = expand(number, 0, context);
  if (out.status == 0 && out.attempts.empty()) out.status = 480;
  switch (out.status) {
    case 0:
      ++counters_.routed;
      break;
    case 404:
      ++counters_.notFound;
      break;
    case 480:
      ++counters_.unavailable;
      break;
    case 482:
      break;  // counted where the loop was found
    default:
      ++counters_.outOfService;
      break;
  }
}

int RoutingTable::expand(std::string_view number, int depth, Context& context) {
  if (depth > kMaxDepth) {
    ++counters_.loops;
    return 482;
  }
  if (const auto found = names_.find(number); found != names_.end()) {
    if (found->second.kind == Kind::Extension) {
      return expandExtension(found->first, found->second.index, context);
    }
    return expandRoutingPoint(found->second.index, depth, context);
  }
  return expandTrunks(number, context);
}

bool RoutingTable::usable(const MonitoredContact& contact, const ServiceView* health) {
  if (health == nullptr || health->inService(contact.health)) return true;
  ++counters_.skippedOos;
  return false;
}

std::size_t RoutingTable::appendContacts(const std::vector<std::uint32_t>& contacts,
                                         std::string_view user, std::string_view dn,
                                         AttemptKind kind, Context& context) {
  std::size_t appended = 0;
  for (const auto index : contacts) {
    const auto& contact = contacts_[index];
    if (!usable(contact, context.health)) continue;
    Attempt attempt;
    attempt.requestUri = requestUri(contact.hop, user);
    attempt.hop = contact.hop;
    attempt.dn.assign(dn);
    attempt.kind = kind;
    attempt.group = context.nextGroup++;  // contact, then contact-backup: one after the other
    attempt.health = contact.health;
    context.attempts->push_back(std::move(attempt));
    ++appended;
  }
  return appended;
}

int RoutingTable::expandExtension(std::string_view number, std::uint32_t softswitch,
                                  Context& context) {
  if (softswitch != kNone) {
    // The reference (OpenScape Voice chapter, "Configuring Extension DNs"): the Extension DN
    // name together with the softswitch's contact reaches the phone.
    const auto& entry = softswitches_[softswitch];
    return appendContacts(entry.contacts, number, entry.name, AttemptKind::Softswitch, context) > 0
               ? 0
               : 503;
  }
  auto bindings = (*context.lookup)(number);
  if (bindings.empty()) return 480;
  // RFC 3261 16.6 (proxy behaviour a B2BUA mirrors): targets in decreasing q; equal q forked
  // in parallel. Stable: equal q keep the registrar's order.
  std::stable_sort(bindings.begin(), bindings.end(), [](const auto& a, const auto& b) {
    return a.q.value_or(kDefaultQ) > b.q.value_or(kDefaultQ);
  });
  std::size_t used = 0;
  std::optional<std::uint16_t> groupQ;
  for (auto& binding : bindings) {
    if (used == kMaxRegisteredAttempts) break;
    Attempt attempt;
    if (!parseContact(binding.uri, attempt.hop).empty()) continue;  // not routable (tel:, ...)
    const auto q = binding.q.value_or(kDefaultQ);
    if (groupQ && *groupQ != q) ++context.nextGroup;
    groupQ = q;
    attempt.requestUri = std::move(binding.uri);
    // A flow names a live connection of this node ("tcp:ip:port#id"). A source without a
    // connection id came from the peer's state stream (docs/replication.md): that connection
    // died with the old primary, so the phone is reached through its registered Contact.
    if (binding.source.find('#') != std::string::npos) attempt.flow = std::move(binding.source);
    attempt.dn.assign(number);
    attempt.kind = AttemptKind::Registered;
    attempt.group = context.nextGroup;
    context.attempts->push_back(std::move(attempt));
    ++used;
  }
  if (used == 0) return 480;
  ++context.nextGroup;
  return 0;
}

int RoutingTable::expandRoutingPoint(std::uint32_t index, int depth, Context& context) {
  const std::uint32_t* const begin = context.path.data();
  const std::uint32_t* const pathEnd = begin + context.pathSize;
  if (std::find(begin, pathEnd, index) != pathEnd) {
    ++counters_.loops;  // a configuration loop: this branch contributes nothing
    return 482;
  }
  context.path[static_cast<std::size_t>(context.pathSize++)] = index;
  auto& point = routingPoints_[index];
  const auto count = point.targets.size();
  const std::size_t start = point.roundRobin && count > 0 ? point.cursor % count : 0;
  if (point.roundRobin) ++point.cursor;
  bool anyRouted = false;
  bool loop = false;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& target = point.targets[(start + i) % count];
    const auto first = context.attempts->size();
    const auto status = expand(target.number, depth + 1, context);
    if (status == 482) loop = true;
    if (status != 0) continue;  // unavailable targets are skipped (docs/routing.md)
    anyRouted = true;
    // A nested Routing Point keeps its own targets' timeouts.
    for (auto k = first; k < context.attempts->size(); ++k) {
      auto& attempt = (*context.attempts)[k];
      if (attempt.timeout.count() == 0) attempt.timeout = target.timeout;
    }
  }
  if (!point.overflow.empty()) {
    const auto status = expand(point.overflow, depth + 1, context);
    if (status == 0) anyRouted = true;
    if (status == 482) loop = true;
  }
  --context.pathSize;
  if (anyRouted) return 0;
  return loop ? 482 : 480;
}

int RoutingTable::expandTrunks(std::string_view number, Context& context) {
  // Longest match first (reference, Trunk DN `prefix`); failover only among the trunks of that
  // same prefix.
  for (auto length = std::min(number.size(), longestPrefix_); length > 0; --length) {
    const auto found = prefixes_.find(number.substr(0, length));
    if (found == prefixes_.end()) continue;
    std::size_t appended = 0;
    for (const auto index : found->second) {
      const auto& trunk = trunks_[index];
      std::string_view user = number;
      if (trunk.hasReplacePrefix) {
        // replace-prefix: "prefix 78, replace-prefix 8: 786505551212 -> 86505551212".
        scratch_.assign(trunk.replacePrefix).append(number.substr(length));
        user = scratch_;
      }
      appended += appendContacts(trunk.contacts, user, trunk.name, AttemptKind::Trunk, context);
    }
    return appended > 0 ? 0 : 503;
  }
  return 404;
}

}  // namespace sipha::routing
