// sipha-netcfg: the appliance's network (docs/network.md). Thin: parse, dispatch.
#include <iostream>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace sipha::netcfg::cli;
  const CommandLineResult parsed = parseCommandLine(argc, argv);
  if (parsed.help) {
    std::cout << usage();
    return kExitOk;
  }
  if (!parsed.commandLine) {
    std::cerr << "sipha-netcfg: " << parsed.error << "\n" << usage();
    return kExitUsage;
  }
  const CommandLine& line = *parsed.commandLine;
  switch (line.command) {
    case Command::Apply:
      return runApply(line, std::cout, std::cerr);
    case Command::Status:
      return runStatus(line, std::cout, std::cerr);
    case Command::BigipExport:
      return runBigipExport(line, std::cout, std::cerr);
    case Command::Check:
      return runCheck(line, std::cout, std::cerr);
    case Command::Serve:
      return runServe(line, std::cerr);
  }
  return kExitUsage;
}
