#pragma once
// siphactl's command line: `siphactl [--bus ADDRESS] COMMAND [OPTIONS]` (docs/siphactl.md).
#include <string>

#include "siphactl/agent_names.hpp"

namespace sipha::siphactl {

enum class Command { Help, Status, Switchover, History, Watch, PairMode };

struct CommandLine {
  Command command = Command::Help;
  bool json = false;                            // status, history
  std::string busAddress;                       // empty: the system bus
  std::string configPath = kDefaultConfigPath;  // pair-mode, the hint when no agent runs
  std::string error;                            // bad usage: what is wrong (exit 2)
};

// CommandLine::error when no command was given (the usage is printed).
inline constexpr const char* kNoCommand = "no command given";

// Options may come before or after the command; -h/--help anywhere asks for the usage.
CommandLine parseCommandLine(int argc, const char* const argv[]);

// `siphactl --help`.
const char* usageText();

}  // namespace sipha::siphactl
