#pragma once
// The names of sipd's D-Bus API (docs: daemon/src/control/README.md). Plain C strings: they go
// straight to sd-bus.
#include "common/dbus/call_result.hpp"

namespace sipha::control::bus {

inline constexpr const char* kServiceName = "org.sipha.Sipd1";
inline constexpr const char* kObjectPath = "/org/sipha/Sipd1";
inline constexpr const char* kInterface = "org.sipha.Sipd1";

// Errors a handler returns in CallResult::errorName (shared by every sipha process).
inline constexpr const char* kErrorStaleEpoch = common::dbus::kErrorStaleEpoch;
inline constexpr const char* kErrorInvalidArgument = common::dbus::kErrorInvalidArgument;
inline constexpr const char* kErrorConfigInvalid = common::dbus::kErrorConfigInvalid;

// sipd's own errors: the switchover drain (StopTakingTransactions, docs/replication.md).
inline constexpr const char* kErrorNotPrimary = "org.sipha.Sipd1.NotPrimary";
inline constexpr const char* kErrorNoBackup = "org.sipha.Sipd1.NoBackup";
inline constexpr const char* kErrorDrainTimeout = "org.sipha.Sipd1.DrainTimeout";
inline constexpr const char* kErrorDrainCancelled = "org.sipha.Sipd1.DrainCancelled";

}  // namespace sipha::control::bus
