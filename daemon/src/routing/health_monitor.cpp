#include "routing/health_monitor.hpp"

#include <utility>

namespace sipha::routing {

std::string_view stateName(HealthState state) noexcept {
  return state == HealthState::InService ? "in-service" : "out-of-service";
}

std::string_view reasonName(HealthReason reason) noexcept {
  switch (reason) {
    case HealthReason::Configured:
      return "configured";
    case HealthReason::Answered:
      return "answered";
    case HealthReason::NoAnswer:
      return "no-answer";
    case HealthReason::ProbeFailed:
      return "probe-failed";
    case HealthReason::CallError:
      return "call-error";
    case HealthReason::RecoveryElapsed:
      return "recovery-elapsed";
  }
  return "configured";
}

HealthMonitor::HealthMonitor(timer::TimerWheel& wheel, ProbeSender sender, EventSink sink)
    : wheel_(wheel), sender_(std::move(sender)), sink_(std::move(sink)) {}

HealthMonitor::~HealthMonitor() {
  for (auto& machine : machines_) {
    stopTimers(machine);
    wheel_.cancel(machine.recoveryTimer);
  }
}

HealthMonitor::Machine* HealthMonitor::find(HealthId id) noexcept {
  if (!id.valid() || id.index >= machines_.size()) return nullptr;
  auto& machine = machines_[id.index];
  return machine.live && machine.generation == id.generation ? &machine : nullptr;
}

const HealthMonitor::Machine* HealthMonitor::find(HealthId id) const noexcept {
  return const_cast<HealthMonitor*>(this)->find(id);
}

void HealthMonitor::reconcile(std::vector<MonitoredContact>& contacts) {
  for (auto& machine : machines_) machine.seen = false;
  std::string key;
  for (auto& contact : contacts) {
    auto uri = requestUri(contact.hop, {});
    key.assign(contact.dn).append("\n").append(uri);
    std::uint32_t index = 0;
    if (const auto found = index_.find(key); found != index_.end()) {
      index = found->second;
      auto& machine = machines_[index];
      if (machine.seen) {  // the same contact twice in one DN: one machine serves both
        contact.health = idOf(index);
        continue;
      }
      machine.seen = true;
      machine.hop = contact.hop;
      const bool probingChanged = machine.settings.oosCheck != contact.settings.oosCheck ||
                                  machine.settings.oosForce != contact.settings.oosForce;
      machine.settings = contact.settings;
      if (probingChanged) {
        stopTimers(machine);
        machine.alive = true;
        machine.answeredSinceProbe = machine.answeredSinceForce = true;
        update(index, HealthReason::Configured);
        startProbing(index);
      }
    } else {
      if (!free_.empty()) {
        index = free_.back();
        free_.pop_back();
      } else {
        index = static_cast<std::uint32_t>(machines_.size());
        machines_.emplace_back();
      }
      auto& machine = machines_[index];
      const auto generation = machine.generation;
      machine = Machine{};
      machine.generation = generation;
      machine.key = key;
      machine.dn = contact.dn;
      machine.contact = std::move(uri);
      machine.hop = contact.hop;
      machine.settings = contact.settings;
      machine.live = true;
      machine.seen = true;
      machine.since = wheel_.clock().now();
      index_.emplace(key, index);
      emit(index);
      startProbing(index);
    }
    contact.health = idOf(index);
  }
  for (std::uint32_t index = 0; index < machines_.size(); ++index) {
    auto& machine = machines_[index];
    if (!machine.live || machine.seen) continue;
    stopTimers(machine);
    wheel_.cancel(machine.recoveryTimer);
    index_.erase(machine.key);
    machine.live = false;
    ++machine.generation;  // ids held by calls in progress become stale
    free_.push_back(index);
  }
}

void HealthMonitor::setProbing(bool enabled) {
  if (enabled == probing_) return;
  probing_ = enabled;
  for (std::uint32_t index = 0; index < machines_.size(); ++index) {
    auto& machine = machines_[index];
    if (!machine.live) continue;
    stopTimers(machine);
    machine.answeredSinceProbe = machine.answeredSinceForce = true;
    if (enabled) startProbing(index);
  }
}

bool HealthMonitor::applyRemote(std::string_view dn, std::string_view contact, HealthState state,
                                HealthReason reason) {
  key_.assign(dn).append("\n").append(contact);
  const auto found = index_.find(key_);
  if (found == index_.end()) return false;
  auto& machine = machines_[found->second];
  machine.alive = state == HealthState::InService;
  machine.holding = false;
  wheel_.cancel(machine.recoveryTimer);
  if (machine.state != state) machine.since = wheel_.clock().now();
  machine.state = state;
  machine.reason = reason;
  return true;
}

void HealthMonitor::startProbing(std::uint32_t index) {
  auto& machine = machines_[index];
  if (!probing_ || machine.settings.oosCheck.count() == 0) return;
  // The first probe on the next tick (not from inside reconcile), then every oos-check.
  const auto generation = machine.generation;
  machine.checkTimer = wheel_.schedule(timer::Duration{0},
                                       [this, index, generation] { sendProbe(index, generation); });
}

void HealthMonitor::stopTimers(Machine& machine) noexcept {
  wheel_.cancel(machine.checkTimer);
  wheel_.cancel(machine.forceTimer);
}

void HealthMonitor::sendProbe(std::uint32_t index, std::uint32_t generation) {
  auto& machine = machines_[index];
  if (!machine.live || machine.generation != generation) return;
  machine.checkTimer = wheel_.schedule(machine.settings.oosCheck,
                                       [this, index, generation] { sendProbe(index, generation); });
  const auto probe = ++machine.probe;
  machine.answeredSinceProbe = false;
  if (machine.settings.oosForce.count() != 0 && !wheel_.pending(machine.forceTimer)) {
    machine.answeredSinceForce = false;
    machine.forceTimer = wheel_.schedule(machine.settings.oosForce,
                                         [this, index, generation] { onForce(index, generation); });
  }
  // Last: the owner may report the outcome synchronously (a transport error).
  ProbeRequest request{idOf(index), probe, machine.dn, machine.contact, &machine.hop};
  if (sender_) sender_(request);
}

void HealthMonitor::onForce(std::uint32_t index, std::uint32_t generation) {
  auto& machine = machines_[index];
  if (!machine.live || machine.generation != generation || machine.answeredSinceForce) return;
  machine.alive = false;
  update(index, HealthReason::NoAnswer);
}

void HealthMonitor::onRecovery(std::uint32_t index, std::uint32_t generation) {
  auto& machine = machines_[index];
  if (!machine.live || machine.generation != generation) return;
  machine.holding = false;
  update(index, HealthReason::RecoveryElapsed);
}

void HealthMonitor::answered(std::uint32_t index) {
  auto& machine = machines_[index];
  machine.answeredSinceProbe = true;
  machine.answeredSinceForce = true;
  wheel_.cancel(machine.forceTimer);
  machine.alive = true;
  update(index, HealthReason::Answered);
}

void HealthMonitor::probeAnswered(HealthId id, std::uint64_t probe) {
  const auto* machine = find(id);
  if (machine == nullptr || probe == 0 || probe > machine->probe) return;  // never sent
  answered(id.index);
}

void HealthMonitor::probeFailed(HealthId id, std::uint64_t probe) {
  auto* machine = find(id);
  if (machine == nullptr || probe != machine->probe || machine->answeredSinceProbe) return;
  machine->answeredSinceProbe = true;  // this probe's outcome is known now
  machine->alive = false;
  update(id.index, HealthReason::ProbeFailed);
}

void HealthMonitor::callResult(HealthId id, int status) {
  auto* machine = find(id);
  if (machine == nullptr) return;
  const bool error = status == 0 || status == 408 || (status >= 500 && status <= 599);
  if (!error) {
    answered(id.index);
    return;
  }
  if (machine->settings.recoveryTimeout.count() == 0) return;  // no hold configured
  // A further error during the hold restarts it: the contact is still failing.
  wheel_.cancel(machine->recoveryTimer);
  machine->holding = true;
  const auto index = id.index;
  const auto generation = id.generation;
  machine->recoveryTimer =
      wheel_.schedule(machine->settings.recoveryTimeout,
                      [this, index, generation] { onRecovery(index, generation); });
  update(index, HealthReason::CallError);
}

void HealthMonitor::update(std::uint32_t index, HealthReason reason) {
  auto& machine = machines_[index];
  const auto state =
      machine.holding || !machine.alive ? HealthState::OutOfService : HealthState::InService;
  if (state == machine.state) return;
  machine.state = state;
  machine.reason = reason;
  machine.since = wheel_.clock().now();
  emit(index);
}

void HealthMonitor::emit(std::uint32_t index) {
  const auto& machine = machines_[index];
  ++seq_;
  if (!sink_) return;
  sink_(HealthEvent{seq_, idOf(index), machine.dn, machine.contact, machine.state, machine.reason,
                    machine.since});
}

bool HealthMonitor::inService(HealthId id) const noexcept {
  const auto* machine = find(id);
  return machine == nullptr || machine->state == HealthState::InService;
}

std::optional<ContactStatus> HealthMonitor::status(HealthId id) const {
  const auto* machine = find(id);
  if (machine == nullptr) return std::nullopt;
  return ContactStatus{id,
                       machine->dn,
                       machine->contact,
                       machine->state,
                       machine->reason,
                       machine->since,
                       machine->holding};
}

std::vector<ContactStatus> HealthMonitor::statuses() const {
  std::vector<ContactStatus> out;
  out.reserve(index_.size());
  for (std::uint32_t index = 0; index < machines_.size(); ++index) {
    if (machines_[index].live) out.push_back(*status(idOf(index)));
  }
  return out;
}

}  // namespace sipha::routing
