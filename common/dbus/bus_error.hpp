#pragma once
// Turning a handler's CallResult into a D-Bus error reply.
#include <systemd/sd-bus.h>

#include <string_view>

#include "common/dbus/call_result.hpp"

namespace sipha::common {

// D-Bus spec, "Valid Names" (error names follow the interface-name rules): at least two
// '.'-separated elements of [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes.
bool isValidErrorName(std::string_view name) noexcept;

// Fills `error` from a failed result and returns the negative errno sd-bus expects from a
// method callback (sd-bus then sends the error reply). An invalid name becomes
// org.freedesktop.DBus.Error.Failed with the message "name: message".
int setCallError(sd_bus_error* error, const CallResult& result) noexcept;

}  // namespace sipha::common
