#pragma once
// The INI syntax of sipha's configuration file, kept with line numbers so every error can name
// the line. POCO's IniFileConfiguration forgets line numbers, hence this small reader.
// Syntax: `[section]`, `key = value`, comments starting with ';' or '#', blank lines.
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config_error.hpp"

namespace sipha::common {

struct IniEntry {
  std::string key;
  std::string value;
  int line = 0;
};

struct IniSection {
  std::string name;
  int line = 0;
  std::vector<IniEntry> entries;
};

struct IniDocument {
  std::string path;
  std::vector<IniSection> sections;
};

// Parses `text` (the contents of `path`); syntax errors are appended to `errors`.
IniDocument parseIni(std::string_view text, const std::string& path,
                     std::vector<ConfigError>& errors);

}  // namespace sipha::common
