#pragma once
// Trunk health: one small state machine per trunk / softswitch contact, driven by the injected
// TimerWheel. It never sends anything itself: it asks its owner to send an OPTIONS probe and is
// told the outcome; calls report their outcomes too. Options from the reference's DN tables:
//   oos-check N        an OPTIONS probe every N s (0: no probing)
//   oos-force N        out of service when a probe has no answer N s after it was sent
//                      (only with oos-check; 0: only when the owner reports the probe failed)
//   recovery-timeout N held out of service N s after an error on a call (timeout, 408, 5xx);
//                      an OPTIONS answer does not shorten the hold (docs/routing.md)
// Back in service on any answer (any status: like the BIG-IP monitor, an answer proves the peer
// is up) once no recovery hold runs. Every state change is a HealthEvent with a sequence number
// (ordered, for replication) and the state is readable with its since-when (for D-Bus).
// Single-threaded; the wheel must outlive the monitor.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "routing/types.hpp"
#include "timer/timer_wheel.hpp"

namespace sipha::routing {

enum class HealthState : std::uint8_t { InService, OutOfService };

enum class HealthReason : std::uint8_t {
  Configured,       // new contact, or its probing settings changed: in service until told
  Answered,         // a probe or a call got an answer
  NoAnswer,         // oos-force elapsed without an answer to a probe
  ProbeFailed,      // the owner reported the probe failed (transaction timeout, transport error)
  CallError,        // timeout, 408 or 5xx on a call: recovery-timeout hold
  RecoveryElapsed,  // the recovery-timeout hold ended
};

std::string_view stateName(HealthState state) noexcept;     // "in-service", "out-of-service"
std::string_view reasonName(HealthReason reason) noexcept;  // "configured", "no-answer", ...

struct HealthEvent {
  std::uint64_t seq = 0;  // 1, 2, 3 ... per monitor
  HealthId id;
  std::string_view dn;
  std::string_view contact;  // "sip:host:port;params"
  HealthState state = HealthState::InService;
  HealthReason reason = HealthReason::Configured;
  timer::TimePoint since;
};

// Send one OPTIONS (RFC 3261 11) to `requestUri` via `hop`, then report the outcome with
// probeAnswered / probeFailed quoting `probe` (also allowed from inside the sender). The views
// and `hop` are valid during the call only; do not reconcile from inside it.
struct ProbeRequest {
  HealthId id;
  std::uint64_t probe = 0;
  std::string_view dn;
  std::string_view requestUri;
  const NextHop* hop = nullptr;
};

struct ContactStatus {
  HealthId id;
  std::string_view dn;
  std::string_view contact;
  HealthState state = HealthState::InService;
  HealthReason reason = HealthReason::Configured;
  timer::TimePoint since;
  bool holding = false;  // in a recovery-timeout hold
};

class HealthMonitor final : public ServiceView {
 public:
  using ProbeSender = std::function<void(const ProbeRequest&)>;
  using EventSink = std::function<void(const HealthEvent&)>;

  HealthMonitor(timer::TimerWheel& wheel, ProbeSender sender, EventSink sink = {});
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;
  ~HealthMonitor() override;

  // Matches the machines to a (new) table's contacts by DN name + contact: unchanged contacts
  // keep their state and id, new ones start in service (an event each), vanished ones are
  // dropped (their ids become stale). Writes each contact's id into `contacts`. A contact
  // whose oos-check changed restarts probing; one whose probing is switched off is no longer
  // held out for want of an answer.
  void reconcile(std::vector<MonitoredContact>& contacts);

  // Outcome of probe `probe` (any final response answers; failures only count for the latest
  // probe, and only if nothing answered since it was sent).
  void probeAnswered(HealthId id, std::uint64_t probe);
  void probeFailed(HealthId id, std::uint64_t probe);
  // Outcome of a call attempt on the contact: `status` is the final response, 0 for a timeout
  // or transport failure. 0, 408 and 5xx are errors (recovery-timeout hold); anything else
  // proves the contact answers.
  void callResult(HealthId id, int status);

  // Probing on (primary, the default) or off (backup: no probes, no oos-force, the state comes
  // from applyRemote). Switching on starts every contact's oos-check schedule.
  void setProbing(bool enabled);
  bool probing() const noexcept { return probing_; }
  // Replication: the state the primary reported for (dn, contact), since now. No event, no
  // timers (a recovery hold of the primary is not re-run here). False: no such contact.
  bool applyRemote(std::string_view dn, std::string_view contact, HealthState state,
                   HealthReason reason);

  bool inService(HealthId id) const noexcept override;  // unknown or stale ids: true
  std::optional<ContactStatus> status(HealthId id) const;
  std::vector<ContactStatus> statuses() const;  // every contact, for D-Bus

  std::size_t size() const noexcept { return index_.size(); }
  std::uint64_t sequence() const noexcept { return seq_; }

 private:
  struct Machine {
    std::string key;  // dn + '\n' + contact
    std::string dn;
    std::string contact;
    NextHop hop;
    HealthSettings settings;
    std::uint32_t generation = 0;
    bool live = false;
    bool seen = false;  // during reconcile
    HealthState state = HealthState::InService;
    HealthReason reason = HealthReason::Configured;
    timer::TimePoint since;
    bool alive = true;     // probes' view: false after an unanswered / failed probe
    bool holding = false;  // recovery-timeout hold running
    std::uint64_t probe = 0;
    bool answeredSinceProbe = true;
    bool answeredSinceForce = true;
    timer::TimerHandle checkTimer;
    timer::TimerHandle forceTimer;
    timer::TimerHandle recoveryTimer;
  };

  Machine* find(HealthId id) noexcept;
  const Machine* find(HealthId id) const noexcept;
  HealthId idOf(std::uint32_t index) const noexcept { return {index, machines_[index].generation}; }
  void startProbing(std::uint32_t index);
  void stopTimers(Machine& machine) noexcept;
  void sendProbe(std::uint32_t index, std::uint32_t generation);
  void onForce(std::uint32_t index, std::uint32_t generation);
  void onRecovery(std::uint32_t index, std::uint32_t generation);
  void answered(std::uint32_t index);
  // Recomputes the state from alive/holding; emits an event when it changes.
  void update(std::uint32_t index, HealthReason reason);
  void emit(std::uint32_t index);

  timer::TimerWheel& wheel_;
  ProbeSender sender_;
  EventSink sink_;
  std::vector<Machine> machines_;
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::uint64_t seq_ = 0;
  bool probing_ = true;
  std::string key_;  // scratch
};

}  // namespace sipha::routing
