#pragma once
// What each siphactl command does, and its exit status (docs/siphactl.md).
#include <ostream>
#include <string>

#include "siphactl/agent_client.hpp"
#include "siphactl/command_line.hpp"

namespace sipha::siphactl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;  // switchover refused or abandoned; pair-mode: standalone
inline constexpr int kExitUnavailable = 2;  // agent or bus unreachable, denied, no answer, usage

// Runs one command; results go to `out`, failures to `err`. `watch` runs until SIGINT or
// SIGTERM (exit 0) or until the bus connection is lost (exit 2).
int runCommand(const CommandLine& line, std::ostream& out, std::ostream& err);

// The operator's sentence for a call that did not get an answer from the agent. `action` names
// what needed the permission ("switchover"); `line` gives the bus address and configuration.
std::string describeFailure(const ClientError& error, const CommandLine& line,
                            const std::string& busAddress, const char* action);

}  // namespace sipha::siphactl
