#pragma once
// Whether this node is a pair member: [ha] mode in the configuration file. sipha-agent's unit
// asks before it starts the agent (ExecCondition=siphactl pair-mode): a standalone node has
// nothing for the agent to decide.
#include <string>
#include <string_view>

namespace sipha::siphactl {

enum class PairMode {
  Pair,        // [ha] mode = pair
  Standalone,  // [ha] mode = standalone, or no mode (the default)
  Unknown,     // the file cannot be read or parsed, or mode has another value
};

struct PairModeAnswer {
  PairMode mode = PairMode::Unknown;
  std::string explanation;  // one line for the journal
};

// From the file's text (pure; `path` is only named in the explanation).
PairModeAnswer pairModeOfText(std::string_view text, const std::string& path);
PairModeAnswer pairModeOfFile(const std::string& path);

}  // namespace sipha::siphactl
