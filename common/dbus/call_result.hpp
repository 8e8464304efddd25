#pragma once
// What a D-Bus method handler of any sipha process answers (sipd, sipha-netcfg, sipha-agent).
#include <string>
#include <utility>

namespace sipha::common {

// The outcome of a method call: success, or a D-Bus error name and a human-readable message
// (the shared ones below; each API may add its own). An invalid error name is sent as
// org.freedesktop.DBus.Error.Failed with "name: message".
struct CallResult {
  std::string errorName;  // empty: success
  std::string errorMessage;

  bool ok() const noexcept { return errorName.empty(); }
  static CallResult success() { return {}; }
  static CallResult failure(std::string name, std::string message) {
    return {std::move(name), std::move(message)};
  }
};

// Errors every sipha D-Bus API uses in CallResult::errorName.
namespace dbus {
inline constexpr const char* kErrorStaleEpoch = "org.sipha.Error.StaleEpoch";
inline constexpr const char* kErrorInvalidArgument = "org.sipha.Error.InvalidArgument";
inline constexpr const char* kErrorConfigInvalid = "org.sipha.Error.ConfigInvalid";
}  // namespace dbus

}  // namespace sipha::common
