#pragma once
// The routing table: built from the configuration's DN objects (rebuilt on every reload) and
// asked, for each new call, where a dialled number (the Request-URI user part) goes. Pure
// logic: registrations come through an injected lookup, trunk health through a ServiceView.
// Single-threaded (the event loop's thread); route() is not const only because Routing Points
// with the round-robin strategy move their cursor.
//
// Rules (docs/routing.md):
//  1. The number names an Extension DN:
//     - tied to a softswitch (its `contact` option names a VoIP Service DN with
//       `service-type = softswitch`): the softswitch's `contact`, then `contact-backup`, in
//       order, out-of-service ones skipped, the Extension number as user part; none left: 503;
//     - otherwise its registered contacts, by q-value (RFC 3261 16.6 step 1 / 10.2.1.2): the
//       highest q first, equal q forked in parallel; none: 480.
//  2. The number names a Routing Point DN: its targets (each a number routed by these same
//     rules) in order or round-robin, each with its no-answer timeout, then its overflow.
//  3. Otherwise Trunk DNs by `prefix`: the longest matching prefix; among trunks with that same
//     prefix the lower `priority` first (equal: by DN name); each trunk's `contact` then
//     `contact-backup`, skipping out-of-service contacts; `replace-prefix` applied per trunk.
//     Every match out of service: 503.
//  4. Nothing: 404.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config/config.hpp"
#include "registrar/types.hpp"
#include "routing/types.hpp"

namespace sipha::routing {

// Current registered contacts of an Extension (registrar::Registrar::bindingsOf).
using BindingLookup = std::function<std::vector<registrar::Binding>(std::string_view extension)>;

class RoutingTable {
 public:
  RoutingTable() = default;

  // Builds the table from the DNs of `config`. DN options routing cannot use are reported in
  // `errors` and that DN (or element) is left out; the rest of the table is built.
  static RoutingTable build(const common::Config& config, std::vector<BuildError>& errors);

  // Decides the attempts for `number`. `health` may be null (every contact in service).
  // `out` is cleared and refilled, so a caller can reuse its capacity.
  void route(std::string_view number, const BindingLookup& lookup, const ServiceView* health,
             RouteResult& out);
  RouteResult route(std::string_view number, const BindingLookup& lookup,
                    const ServiceView* health) {
    RouteResult result;
    route(number, lookup, health, result);
    return result;
  }

  // Every trunk and softswitch contact, for HealthMonitor::reconcile (which assigns ids).
  std::vector<MonitoredContact>& monitoredContacts() noexcept { return contacts_; }
  const std::vector<MonitoredContact>& monitoredContacts() const noexcept { return contacts_; }

  // Routing Point round-robin positions survive a reload for the Routing Points still there.
  void takeCursorsFrom(const RoutingTable& previous);

  const RoutingCounters& counters() const noexcept { return counters_; }
  std::size_t trunkCount() const noexcept { return trunks_.size(); }

 private:
  struct Trunk {
    std::string name;
    std::string replacePrefix;
    bool hasReplacePrefix = false;
    std::uint64_t priority = 0;
    std::vector<std::uint32_t> contacts;  // into contacts_: contact, then contact-backup
  };
  struct Softswitch {
    std::string name;
    std::vector<std::uint32_t> contacts;
  };
  struct Target {
    std::string number;
    timer::Duration timeout{0};
  };
  struct RoutingPoint {
    std::string name;
    bool roundRobin = false;
    std::vector<Target> targets;
    std::string overflow;  // empty: none
    std::uint64_t cursor = 0;
  };
  enum class Kind : std::uint8_t { Extension, RoutingPoint };
  struct Named {
    Kind kind = Kind::Extension;
    std::uint32_t index = 0;  // Extension: softswitch index or kNone; RoutingPoint: index
  };
  static constexpr std::uint32_t kNone = 0xffffffffu;
  using NameMap =
      std::unordered_map<std::string, Named, common::TransparentStringHash, std::equal_to<>>;
  using PrefixMap = std::unordered_map<std::string, std::vector<std::uint32_t>,
                                       common::TransparentStringHash, std::equal_to<>>;

  struct Context {
    const BindingLookup* lookup;
    const ServiceView* health;
    std::vector<Attempt>* attempts;
    std::uint32_t nextGroup = 0;
    // The Routing Points being expanded (a target or overflow naming one of them is a loop).
    std::array<std::uint32_t, kMaxDepth + 1> path{};
    int pathSize = 0;
  };

  int expand(std::string_view number, int depth, Context& context);
  int expandExtension(std::string_view number, std::uint32_t softswitch, Context& context);
  int expandRoutingPoint(std::uint32_t index, int depth, Context& context);
  int expandTrunks(std::string_view number, Context& context);
  // Appends one attempt per in-service contact; returns how many were appended.
  std::size_t appendContacts(const std::vector<std::uint32_t>& contacts, std::string_view user,
                             std::string_view dn, AttemptKind kind, Context& context);
  bool usable(const MonitoredContact& contact, const ServiceView* health);

  std::vector<MonitoredContact> contacts_;
  std::vector<Trunk> trunks_;
  std::vector<Softswitch> softswitches_;
  std::vector<RoutingPoint> routingPoints_;
  NameMap names_;
  PrefixMap prefixes_;  // prefix -> trunks in try order (priority, then name)
  std::size_t longestPrefix_ = 0;
  RoutingCounters counters_;
  std::string scratch_;  // the number after replace-prefix (reused)
};

}  // namespace sipha::routing
