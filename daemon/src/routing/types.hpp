#pragma once
// What routing decides for one dialled number: an ordered plan of attempts for the B2BUA's
// outbound leg. Plain data, no behaviour (docs/routing.md describes every rule).
#include <cstdint>
#include <string>
#include <vector>

#include "routing/next_hop.hpp"
#include "timer/clock.hpp"

namespace sipha::routing {

// A trunk or softswitch contact watched by the HealthMonitor. The generation makes an id held by
// a call across a reload harmless: a removed contact's id is stale and ignored.
struct HealthId {
  static constexpr std::uint32_t kInvalid = 0xffffffffu;
  std::uint32_t index = kInvalid;
  std::uint32_t generation = 0;

  bool valid() const noexcept { return index != kInvalid; }
  friend bool operator==(HealthId, HealthId) = default;
};

// The health options of a Trunk or softswitch DN (reference DN tables; ranges checked by
// common/config: oos-check 0-300 s, oos-force 0-30 s, recovery-timeout 0-86400 s).
struct HealthSettings {
  timer::Duration oosCheck{0};         // oos-check: OPTIONS every N s; 0: no probing
  timer::Duration oosForce{0};         // oos-force: out of service N s after an unanswered probe
  timer::Duration recoveryTimeout{0};  // recovery-timeout: held out of service N s after an error

  friend bool operator==(const HealthSettings&, const HealthSettings&) = default;
};

// Whether a watched contact may be used now (implemented by HealthMonitor).
class ServiceView {
 public:
  virtual ~ServiceView() = default;
  virtual bool inService(HealthId id) const noexcept = 0;
};

// One trunk or softswitch contact of the table, handed to HealthMonitor::reconcile, which
// writes `health`.
struct MonitoredContact {
  std::string dn;
  NextHop hop;
  HealthSettings settings;
  HealthId health;
};

enum class AttemptKind : std::uint8_t {
  Registered,  // a contact registered at sipd's registrar for an Extension DN
  Softswitch,  // the contact of the VoIP Service DN (service-type = softswitch) serving it
  Trunk,       // a Trunk DN's contact or contact-backup
};

struct Attempt {
  std::string requestUri;  // the outbound INVITE's Request-URI
  NextHop hop;             // where to send it (resolve host, then transport/port)
  // Registered contacts: where the REGISTER came from ("udp:1.2.3.4:5060", "tcp:...#id"), so
  // the glue can reuse the phone's connection / NAT binding; empty otherwise.
  std::string flow;
  std::string dn;  // the DN that produced the attempt: the Extension, softswitch or trunk name
  AttemptKind kind = AttemptKind::Trunk;
  // No-answer timeout for this attempt's group (Routing Point targets); 0: none, the B2BUA's
  // own transaction timers apply.
  timer::Duration timeout{0};
  // Attempts with the same group are forked in parallel; groups are tried in ascending order,
  // the next one when the whole group failed (or its timeout elapsed).
  std::uint32_t group = 0;
  HealthId health;  // trunk/softswitch contacts: report outcomes here; invalid otherwise
};

struct RouteResult {
  // 0: routed, `attempts` non-empty. Otherwise the SIP status to answer upstream:
  // 404 unknown number, 480 Extension not registered (or every target of a Routing Point
  // unavailable), 503 every contact of the matching trunks / softswitch out of service,
  // 482 Routing Point recursion deeper than kMaxDepth (a configuration loop).
  int status = 404;
  std::vector<Attempt> attempts;

  bool routed() const noexcept { return status == 0; }
};

struct RoutingCounters {
  std::uint64_t requests = 0;
  std::uint64_t routed = 0;
  std::uint64_t notFound = 0;       // 404
  std::uint64_t unavailable = 0;    // 480
  std::uint64_t outOfService = 0;   // 503
  std::uint64_t loops = 0;          // 482
  std::uint64_t skippedOos = 0;     // contacts skipped because out of service
  std::uint64_t rejectedInput = 0;  // dialled numbers refused (empty, too long)
};

// A DN option routing could not use; the DN (or the bad element) is left out of the table.
struct BuildError {
  std::string dn;
  std::string option;
  std::string reason;
};

// Limits on what a peer controls.
constexpr std::size_t kMaxNumberLength = 128;
// Nesting of Routing Points (target or overflow naming another Routing Point).
constexpr int kMaxDepth = 4;
// Registered contacts used per Extension (the registrar caps bindings per AOR too).
constexpr std::size_t kMaxRegisteredAttempts = 16;

}  // namespace sipha::routing
