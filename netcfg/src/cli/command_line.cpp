#include "cli/command_line.hpp"

#include <string_view>

namespace sipha::netcfg::cli {
namespace {

std::optional<Command> parseCommand(std::string_view text) {
  if (text == "apply") return Command::Apply;
  if (text == "status") return Command::Status;
  if (text == "bigip-export") return Command::BigipExport;
  if (text == "check") return Command::Check;
  if (text == "serve") return Command::Serve;
  return std::nullopt;
}

}  // namespace

const char* usage() {
  return "usage: sipha-netcfg COMMAND --config FILE [--peer-config FILE]\n"
         "  apply         reconcile links, addresses, routes once and apply the firewall\n"
         "  status        show what differs between the configuration and the kernel\n"
         "  serve         the service: D-Bus org.sipha.Netcfg1, VIP takeover, repairs\n"
         "  bigip-export  print the tmsh commands for the pair (needs --peer-config)\n"
         "  check         check the pair's consistency (needs --peer-config)\n";
}

CommandLineResult parseCommandLine(int argc, const char* const argv[]) {
  CommandLineResult result;
  CommandLine line;
  std::optional<Command> command;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i] != nullptr ? argv[i] : "";
    if (argument == "--help" || argument == "-h") {
      result.help = true;
      return result;
    }
    if (argument == "--config" || argument == "--peer-config") {
      if (i + 1 >= argc || argv[i + 1] == nullptr || argv[i + 1][0] == '\0') {
        result.error = std::string{argument} + " needs a file";
        return result;
      }
      (argument == "--config" ? line.configPath : line.peerConfigPath) = argv[++i];
      continue;
    }
    if (!argument.starts_with("-") && !command) {
      command = parseCommand(argument);
      if (!command) {
        result.error = "unknown command '" + std::string{argument} + "'";
        return result;
      }
      continue;
    }
    result.error = "unexpected argument '" + std::string{argument} + "'";
    return result;
  }
  if (!command) {
    result.error = "no command given";
    return result;
  }
  line.command = *command;
  if (line.configPath.empty()) {
    result.error = "--config FILE is required";
    return result;
  }
  const bool pair = line.command == Command::BigipExport || line.command == Command::Check;
  if (pair && line.peerConfigPath.empty()) {
    result.error = "--peer-config FILE is required by this command";
    return result;
  }
  if (!pair && !line.peerConfigPath.empty()) {
    result.error = "--peer-config is only for bigip-export and check";
    return result;
  }
  result.commandLine = std::move(line);
  return result;
}

}  // namespace sipha::netcfg::cli
