#pragma once
// The commands of sipha-netcfg; each returns the process exit code (command_line.hpp) and
// writes its report to `out`, problems to `err`.
#include <ostream>

#include "cli/command_line.hpp"

namespace sipha::netcfg::cli {

int runApply(const CommandLine& line, std::ostream& out, std::ostream& err);
int runStatus(const CommandLine& line, std::ostream& out, std::ostream& err);
int runBigipExport(const CommandLine& line, std::ostream& out, std::ostream& err);
int runCheck(const CommandLine& line, std::ostream& out, std::ostream& err);
int runServe(const CommandLine& line, std::ostream& err);  // until SIGTERM/SIGINT

}  // namespace sipha::netcfg::cli
