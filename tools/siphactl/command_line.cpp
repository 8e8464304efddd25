#include "siphactl/command_line.hpp"

#include <string_view>

namespace sipha::siphactl {
namespace {

struct Named {
  std::string_view name;
  Command command;
};

constexpr Named kCommands[] = {
    {"status", Command::Status}, {"switchover", Command::Switchover}, {"history", Command::History},
    {"watch", Command::Watch},   {"pair-mode", Command::PairMode},    {"help", Command::Help},
};

// An option's value: "--name=value" or "--name value" (consumes the next argument); empty when
// missing.
std::string optionValue(std::string_view name, int argc, const char* const argv[], int& i) {
  const std::string_view argument{argv[i]};
  if (argument.size() > name.size() && argument[name.size()] == '=') {
    return std::string{argument.substr(name.size() + 1)};
  }
  return i + 1 < argc ? std::string{argv[++i]} : std::string{};
}

bool isOption(std::string_view argument, std::string_view name) {
  return argument == name ||
         (argument.size() > name.size() && argument.substr(0, name.size()) == name &&
          argument[name.size()] == '=');
}

}  // namespace

CommandLine parseCommandLine(int argc, const char* const argv[]) {
  CommandLine line;
  bool commandSeen = false;
  bool help = false;
  // The first problem is kept, but every argument is looked at: a later --help still wins.
  const auto fail = [&](std::string problem) {
    if (line.error.empty()) line.error = std::move(problem);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument{argv[i]};
    if (argument == "-h" || argument == "--help") {
      help = true;
    } else if (argument == "--json") {
      line.json = true;
    } else if (isOption(argument, "--bus") || isOption(argument, "--config")) {
      const bool bus = isOption(argument, "--bus");
      const std::string_view name = bus ? "--bus" : "--config";
      std::string value = optionValue(name, argc, argv, i);
      if (value.empty()) fail(std::string{name} + " needs a value");
      (bus ? line.busAddress : line.configPath) = std::move(value);
    } else if (!argument.empty() && argument[0] == '-') {
      fail("unknown option " + std::string{argument});
    } else if (commandSeen) {
      fail("unexpected argument " + std::string{argument});
    } else {
      commandSeen = true;
      bool known = false;
      for (const auto& named : kCommands) {
        if (named.name == argument) {
          line.command = named.command;
          known = true;
        }
      }
      if (!known) fail("unknown command " + std::string{argument});
    }
  }
  if (help) {
    line.command = Command::Help;
    line.error.clear();
    return line;
  }
  if (!line.error.empty()) return line;
  if (!commandSeen) {
    line.error = kNoCommand;
  } else if (line.json && line.command != Command::Status && line.command != Command::History) {
    line.error = "--json goes with status and history";
  } else if (!line.busAddress.empty() && line.command == Command::PairMode) {
    line.error = "pair-mode reads the configuration, not the bus";
  }
  return line;
}

const char* usageText() {
  return "usage: siphactl [--bus ADDRESS] COMMAND\n"
         "\n"
         "The operator's view of the hot-standby pair, from this node's sipha-agent\n"
         "(org.sipha.Agent1 on the system bus).\n"
         "\n"
         "commands:\n"
         "  status [--json]     this node and the peer as heard: roles, phases, epochs, sipd,\n"
         "                      readiness for switchover, witness, heartbeat paths, last "
         "transition\n"
         "  switchover          on the primary: hand the role to the backup (waits for it, 10 s "
         "at\n"
         "                      most); needs root or the sipha-admin group\n"
         "  history [--json]    the role transitions, oldest first\n"
         "  watch               one timestamped line per change until Ctrl-C\n"
         "  pair-mode [--config FILE]\n"
         "                      exit 0 when [ha] mode = pair in FILE (default "
         "/etc/sipha/sipha.ini)\n"
         "                      or FILE cannot be read, 1 when standalone (sipha-agent's start\n"
         "                      condition)\n"
         "\n"
         "options:\n"
         "  --bus ADDRESS       a D-Bus address instead of the system bus\n"
         "                      ($DBUS_SYSTEM_BUS_ADDRESS is honoured too)\n"
         "  --config FILE       the configuration (pair-mode; and why the agent is not running)\n"
         "  -h, --help          this text\n"
         "\n"
         "exit status: 0 done; 1 switchover refused or abandoned (the reason is printed);\n"
         "2 sipha-agent or the bus unreachable, permission denied, no answer, bad usage.\n";
}

}  // namespace sipha::siphactl
