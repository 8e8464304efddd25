// siphactl: the operator's command line for the hot-standby pair (docs/siphactl.md). Everything
// is in sipha::siphactl; this only hands it the arguments and the standard streams.
#include <exception>
#include <iostream>

#include "siphactl/command_line.hpp"
#include "siphactl/commands.hpp"

int main(int argc, char* argv[]) {
  try {
    const auto line = sipha::siphactl::parseCommandLine(argc, argv);
    return sipha::siphactl::runCommand(line, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "siphactl: " << e.what() << "\n";
    return sipha::siphactl::kExitUnavailable;
  }
}
