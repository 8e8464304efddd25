#pragma once
// The names of sipha-agent's D-Bus API, org.sipha.Agent1 (docs/siphactl.md). Plain C strings: they
// go straight to sd-bus.
#include <cstdint>

namespace sipha::siphactl {

inline constexpr const char* kAgentService = "org.sipha.Agent1";
inline constexpr const char* kAgentPath = "/org/sipha/Agent1";
inline constexpr const char* kAgentInterface = "org.sipha.Agent1";

// Switchover() fails with one of these; the message is the reason.
inline constexpr const char* kErrorSwitchoverRefused = "org.sipha.Agent1.SwitchoverRefused";
inline constexpr const char* kErrorSwitchoverAbandoned = "org.sipha.Agent1.SwitchoverAbandoned";

// Switchover() returns once the peer has taken over: about 2 s at most (drain and handover
// timeouts, docs/ha-agent.md); every other call is answered at once.
inline constexpr std::uint64_t kSwitchoverTimeoutUsec = 10'000'000;
inline constexpr std::uint64_t kCallTimeoutUsec = 5'000'000;

// Where the operator's configuration is on the appliance (the units' --config).
inline constexpr const char* kDefaultConfigPath = "/etc/sipha/sipha.ini";

}  // namespace sipha::siphactl
