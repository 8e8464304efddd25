#include "common/service/service_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cerrno>
#include <exception>

namespace sipha::common {

int ServiceNotifier::ready() const noexcept { return notify("READY=1"); }

int ServiceNotifier::status(std::string_view text) const noexcept {
  // sd_notify takes "KEY=VALUE\n..." lines: a newline in the text would start a new key.
  try {
    std::string state{"STATUS="};
    for (char c : text) state.push_back(c == '\n' ? ' ' : c);
    return notify(state);
  } catch (const std::exception&) {
    return -ENOMEM;
  }
}

int ServiceNotifier::reloading() const noexcept { return notify("RELOADING=1"); }

int ServiceNotifier::stopping() const noexcept { return notify("STOPPING=1"); }

int ServiceNotifier::enableWatchdog(sd_event* event) noexcept {
  if (event == nullptr) return -EINVAL;
  return sd_event_set_watchdog(event, 1);
}

std::string ServiceNotifier::statusText(std::string_view role, std::uint64_t bindings) {
  std::string text{role};
  text += ", ";
  text += std::to_string(bindings);
  text += bindings == 1 ? " binding" : " bindings";
  return text;
}

int ServiceNotifier::notify(std::string_view state) noexcept {
  try {
    const std::string terminated{state};
    return sd_notify(0, terminated.c_str());
  } catch (const std::exception&) {
    return -ENOMEM;
  }
}

}  // namespace sipha::common
