#include "common/config/config_error.hpp"

namespace sipha::common {

std::string ConfigError::toString() const {
  std::string text = file;
  text += ':';
  text += std::to_string(line);
  text += ": ";
  if (!option.empty()) {
    text += "option '";
    text += option;
    text += "': ";
  }
  text += reason;
  return text;
}

}  // namespace sipha::common
