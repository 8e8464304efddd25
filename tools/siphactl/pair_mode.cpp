#include "siphactl/pair_mode.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/config/config_error.hpp"
#include "common/config/ini_document.hpp"

namespace sipha::siphactl {

PairModeAnswer pairModeOfText(std::string_view text, const std::string& path) {
  std::vector<common::ConfigError> errors;
  const common::IniDocument document = common::parseIni(text, path, errors);
  if (!errors.empty()) {
    return {PairMode::Unknown,
            "cannot tell whether this node is in a pair: " + errors.front().toString()};
  }
  for (const auto& section : document.sections) {
    if (section.name != "ha") continue;
    for (const auto& entry : section.entries) {
      if (entry.key != "mode") continue;
      const std::string where = path + ":" + std::to_string(entry.line);
      if (entry.value == "pair") return {PairMode::Pair, "pair: [ha] mode = pair (" + where + ")"};
      if (entry.value == "standalone") {
        return {PairMode::Standalone, "standalone: [ha] mode = standalone (" + where +
                                          "): sipha-agent has nothing to decide"};
      }
      return {PairMode::Unknown, "cannot tell whether this node is in a pair: [ha] mode = '" +
                                     entry.value + "' (" + where + ")"};
    }
  }
  return {PairMode::Standalone,
          "standalone: no [ha] mode in " + path + ": sipha-agent has nothing to decide"};
}

PairModeAnswer pairModeOfFile(const std::string& path) {
  std::ifstream file{path, std::ios::binary};
  if (!file) {
    return {PairMode::Unknown, "cannot tell whether this node is in a pair: cannot read " + path +
                                   ": " + std::strerror(errno)};
  }
  std::ostringstream text;
  text << file.rdbuf();
  return pairModeOfText(text.str(), path);
}

}  // namespace sipha::siphactl
