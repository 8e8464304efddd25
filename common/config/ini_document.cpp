#include "common/config/ini_document.hpp"

#include <set>

namespace sipha::common {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// A comment starts at ';' or '#' at the start of a value or after whitespace, so that values
// like "sip:a@b;transport=tcp" keep their ';'.
std::string_view stripTrailingComment(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    if ((value[i] == ';' || value[i] == '#') &&
        (i == 0 || value[i - 1] == ' ' || value[i - 1] == '\t')) {
      return value.substr(0, i);
    }
  }
  return value;
}

}  // namespace

IniDocument parseIni(std::string_view text, const std::string& path,
                     std::vector<ConfigError>& errors) {
  IniDocument document{path, {}};
  std::set<std::string, std::less<>> seenSections;
  int lineNumber = 0;
  while (!text.empty()) {
    ++lineNumber;
    const auto end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.empty() || line.front() == ';' || line.front() == '#') continue;
    if (line.find('\0') != std::string_view::npos) {
      errors.push_back({path, lineNumber, {}, "NUL byte in line"});
      continue;
    }
    if (line.front() == '[') {
      if (line.back() != ']') {
        errors.push_back({path, lineNumber, {}, "section header without closing ']'"});
        continue;
      }
      std::string name{trim(line.substr(1, line.size() - 2))};
      if (name.empty()) {
        errors.push_back({path, lineNumber, {}, "empty section name"});
        continue;
      }
      if (!seenSections.insert(name).second) {
        errors.push_back({path, lineNumber, name, "section appears twice"});
        continue;
      }
      document.sections.push_back({std::move(name), lineNumber, {}});
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      errors.push_back({path, lineNumber, {}, "expected 'option = value' or '[section]'"});
      continue;
    }
    const std::string key{trim(line.substr(0, equals))};
    if (key.empty()) {
      errors.push_back({path, lineNumber, {}, "option name missing before '='"});
      continue;
    }
    if (document.sections.empty()) {
      errors.push_back({path, lineNumber, key, "option outside of any [section]"});
      continue;
    }
    auto& section = document.sections.back();
    bool duplicate = false;
    for (const auto& entry : section.entries) duplicate = duplicate || entry.key == key;
    if (duplicate) {
      errors.push_back(
          {path, lineNumber, section.name + "." + key, "option set twice in the section"});
      continue;
    }
    section.entries.push_back(
        {key, std::string{trim(stripTrailingComment(line.substr(equals + 1)))}, lineNumber});
  }
  return document;
}

}  // namespace sipha::common
