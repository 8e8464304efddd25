#include "siphactl/watch.hpp"

#include <time.h>

#include <cstring>
#include <exception>

#include "siphactl/agent_names.hpp"
#include "siphactl/format.hpp"

namespace sipha::siphactl {
namespace {

// Nothing may unwind through libsystemd's C frames.
template <typename Body>
int guarded(Body&& body) noexcept {
  try {
    body();
  } catch (const std::exception&) {
  }
  return 0;
}

}  // namespace

std::uint64_t wallClockUsec() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1'000u;
}

Watcher::Watcher(AgentClient& client, std::ostream& out, Clock clock)
    : client_(client), out_(out), clock_(clock) {}

Watcher::~Watcher() {
  for (sd_bus_slot* slot : slots_) sd_bus_slot_unref(slot);
  if (event_ != nullptr && client_.bus() != nullptr) sd_bus_detach_event(client_.bus());
}

std::optional<ClientError> Watcher::start(sd_event* event) {
  sd_bus* bus = client_.bus();
  const auto subscribe = [&](const char* sender, const char* path, const char* interface,
                             const char* member, sd_bus_message_handler_t handler) {
    sd_bus_slot* slot = nullptr;
    const int r = sd_bus_match_signal(bus, &slot, sender, path, interface, member, handler, this);
    if (r >= 0) slots_.push_back(slot);
    return r;
  };
  int r = subscribe(kAgentService, kAgentPath, kAgentInterface, "Transition", onTransition);
  if (r >= 0) {
    r = subscribe(kAgentService, kAgentPath, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                  onPropertiesChanged);
  }
  if (r >= 0) {
    sd_bus_slot* slot = nullptr;
    r = sd_bus_add_match(bus, &slot,
                         "type='signal',sender='org.freedesktop.DBus',"
                         "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
                         "member='NameOwnerChanged',arg0='org.sipha.Agent1'",
                         onOwnerChanged, this);
    if (r >= 0) slots_.push_back(slot);
  }
  if (r >= 0) {
    r = subscribe(nullptr, "/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
                  "Disconnected", onDisconnected);
  }
  if (r < 0) return classifyError(r, nullptr);

  auto status = client_.readStatus();
  if (!status.ok()) return status.error;
  known_ = std::move(*status.value);

  sd_bus_set_exit_on_disconnect(bus, 0);
  r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
  if (r < 0) return ClientError{ErrorKind::Failed, {}, std::strerror(-r)};
  event_ = event;
  line(clock_(), "watching " + formatSummary(known_));
  return std::nullopt;
}

void Watcher::line(std::uint64_t timeUs, const std::string& text) {
  out_ << formatTimestamp(timeUs) << "  " << text << std::endl;
}

int Watcher::onTransition(sd_bus_message* message, void* userdata, sd_bus_error*) noexcept {
  return guarded([&] {
    auto& self = *static_cast<Watcher*>(userdata);
    Transition entry;
    if (readTransition(message, entry) <= 0) return;
    self.known_.lastTransition = entry;
    self.line(entry.timeUs, "transition " + formatTransitionBody(entry));
  });
}

void Watcher::applyChanged(sd_bus_message* message) {
  const char* interface = nullptr;
  if (sd_bus_message_read_basic(message, 's', &interface) <= 0 ||
      std::strcmp(interface, kAgentInterface) != 0) {
    return;
  }
  const std::uint64_t now = clock_();
  AgentStatus after = known_;
  std::vector<std::string> names;
  std::string problem;
  if (readProperties(message, after, problem, &names) < 0) {
    line(now, "unreadable change: " + problem);
    return;
  }
  for (const auto& name : names) {
    for (const auto& text : describeChange(name, known_, *propertyValue(after, name))) {
      line(now, text);
    }
  }
  known_ = std::move(after);

  // Properties announced without their value (EmitsChangedSignal=invalidates): read each.
  if (sd_bus_message_enter_container(message, 'a', "s") <= 0) return;
  const char* name = nullptr;
  std::vector<std::string> invalidated;
  while (sd_bus_message_read_basic(message, 's', &name) > 0) invalidated.emplace_back(name);
  for (const auto& property : invalidated) {
    if (!propertySignature(property)) continue;
    auto value = client_.readProperty(property);
    if (!value.ok()) continue;
    for (const auto& text : describeChange(property, known_, *value.value)) line(now, text);
    setProperty(known_, property, *value.value);
  }
}

int Watcher::onPropertiesChanged(sd_bus_message* message, void* userdata, sd_bus_error*) noexcept {
  return guarded([&] { static_cast<Watcher*>(userdata)->applyChanged(message); });
}

void Watcher::agentReturned() {
  auto status = client_.readStatus();
  if (!status.ok()) {
    line(clock_(),
         "sipha-agent is on the bus again (status unreadable: " + status.error.message + ")");
    return;
  }
  known_ = std::move(*status.value);
  line(clock_(), "sipha-agent is on the bus again: " + formatSummary(known_));
}

int Watcher::onOwnerChanged(sd_bus_message* message, void* userdata, sd_bus_error*) noexcept {
  return guarded([&] {
    auto& self = *static_cast<Watcher*>(userdata);
    const char* name = nullptr;
    const char* oldOwner = nullptr;
    const char* newOwner = nullptr;
    if (sd_bus_message_read(message, "sss", &name, &oldOwner, &newOwner) <= 0) return;
    if (std::strcmp(name, kAgentService) != 0) return;
    if (*newOwner == '\0') {
      self.line(self.clock_(), "sipha-agent left the bus");
    } else {
      self.agentReturned();
    }
  });
}

int Watcher::onDisconnected(sd_bus_message*, void* userdata, sd_bus_error*) noexcept {
  return guarded([&] {
    auto& self = *static_cast<Watcher*>(userdata);
    self.line(self.clock_(), "the bus connection was lost");
    if (self.event_ != nullptr) sd_event_exit(self.event_, 2);
  });
}

}  // namespace sipha::siphactl
