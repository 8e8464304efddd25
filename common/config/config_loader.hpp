#pragma once
// Reads and validates the configuration file. Never throws for bad input: every problem is
// returned with its file, line, option and reason, and no partial configuration is returned.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"
#include "common/config/config_error.hpp"

namespace sipha::common {

struct ConfigLoadResult {
  std::optional<Config> config;  // set only when errors is empty
  std::vector<ConfigError> errors;
};

ConfigLoadResult loadConfigFile(const std::string& path);
ConfigLoadResult loadConfigText(std::string_view text, const std::string& path);

// Whether an [ha] option is one the loader validates (mode and sipd's replication options); the
// others are sipha-agent's, which refuses the ones it does not know either.
bool isLoaderHaOption(std::string_view name);

}  // namespace sipha::common
