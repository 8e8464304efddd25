#pragma once
// The names of sipd's D-Bus API (docs: daemon/src/control/README.md). Plain C strings: they go
// straight to sd-bus.
namespace sipha::control::bus {

inline constexpr const char* kServiceName = "org.sipha.Sipd1";
inline constexpr const char* kObjectPath = "/org/sipha/Sipd1";
inline constexpr const char* kInterface = "org.sipha.Sipd1";

// Errors a handler returns in CallResult::errorName.
inline constexpr const char* kErrorStaleEpoch = "org.sipha.Error.StaleEpoch";
inline constexpr const char* kErrorInvalidArgument = "org.sipha.Error.InvalidArgument";
inline constexpr const char* kErrorConfigInvalid = "org.sipha.Error.ConfigInvalid";

}  // namespace sipha::control::bus
