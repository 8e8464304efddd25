#pragma once
// A configuration problem, located: which file, which line, which option and why.
#include <string>

namespace sipha::common {

struct ConfigError {
  std::string file;
  int line = 0;        // 1-based; 0 when the problem is not on one line (a missing option)
  std::string option;  // "section.option" or the section name
  std::string reason;

  // "FILE:LINE: option 'NAME': reason" — the one format operators see everywhere.
  std::string toString() const;
};

}  // namespace sipha::common
