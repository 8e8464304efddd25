#pragma once
// The names of sipha-netcfg's D-Bus API (docs/network.md, "D-Bus"). The shared org.sipha.Error.*
// names (StaleEpoch, InvalidArgument, ConfigInvalid) come from common/dbus/call_result.hpp.
namespace sipha::netcfg::service {

inline constexpr const char* kServiceName = "org.sipha.Netcfg1";
inline constexpr const char* kObjectPath = "/org/sipha/Netcfg1";
inline constexpr const char* kInterface = "org.sipha.Netcfg1";

// The kernel or nftables refused part of the work; the message lists each failure.
inline constexpr const char* kErrorApplyFailed = "org.sipha.Error.ApplyFailed";

}  // namespace sipha::netcfg::service
