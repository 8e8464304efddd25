#pragma once
// sd_notify(3) for every sipha service: readiness, status line, reload and stop notices, and the
// watchdog. Without NOTIFY_SOCKET (not started by systemd with Type=notify) every call is a no-op
// that returns 0.
#include <systemd/sd-event.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sipha::common {

class ServiceNotifier {
 public:
  // Each returns sd_notify's result: > 0 sent, 0 no notification socket, < 0 -errno.
  int ready() const noexcept;                        // READY=1 (once the sockets are bound)
  int status(std::string_view text) const noexcept;  // STATUS=<text>
  int reloading() const noexcept;                    // RELOADING=1; call ready() when done
  int stopping() const noexcept;                     // STOPPING=1

  // Lets sd-event send WATCHDOG=1 by itself at half the WATCHDOG_USEC interval. Returns > 0
  // when the service manager asked for a watchdog, 0 when not, < 0 -errno.
  static int enableWatchdog(sd_event* event) noexcept;

  // The STATUS= text sipd shows in `systemctl status`: "primary, 12 bindings".
  static std::string statusText(std::string_view role, std::uint64_t bindings);

 private:
  static int notify(std::string_view state) noexcept;
};

}  // namespace sipha::common
