#pragma once
// `sipha-netcfg apply|status|bigip-export|check|serve --config FILE [--peer-config FILE]`
// (docs/network.md, "Command line"). Pure parsing, tested without running anything.
#include <cstdint>
#include <optional>
#include <string>

namespace sipha::netcfg::cli {

enum class Command : std::uint8_t { Apply, Status, BigipExport, Check, Serve };

struct CommandLine {
  Command command = Command::Status;
  std::string configPath;
  std::string peerConfigPath;  // required by bigip-export and check, refused elsewhere
};

struct CommandLineResult {
  std::optional<CommandLine> commandLine;
  std::string error;  // set when commandLine is not; "" with --help
  bool help = false;
};

CommandLineResult parseCommandLine(int argc, const char* const argv[]);
const char* usage();

// Exit codes (sysexits.h where one fits).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;   // the kernel, nftables or the bus refused
inline constexpr int kExitRefused = 2;  // configuration invalid, or the pair check refuses
inline constexpr int kExitUsage = 64;   // EX_USAGE

}  // namespace sipha::netcfg::cli
