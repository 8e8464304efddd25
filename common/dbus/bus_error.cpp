#include "common/dbus/bus_error.hpp"

#include <cerrno>

namespace sipha::common {
namespace {

constexpr bool isNameStart(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

constexpr bool isNameChar(char c) noexcept { return isNameStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

bool isValidErrorName(std::string_view name) noexcept {
  if (name.empty() || name.size() > 255) return false;
  std::size_t elements = 0;
  bool atElementStart = true;
  for (char c : name) {
    if (c == '.') {
      if (atElementStart) return false;  // empty element
      atElementStart = true;
      continue;
    }
    if (atElementStart) {
      if (!isNameStart(c)) return false;
      ++elements;
      atElementStart = false;
    } else if (!isNameChar(c)) {
      return false;
    }
  }
  return !atElementStart && elements >= 2;
}

int setCallError(sd_bus_error* error, const CallResult& result) noexcept {
  // std::string is NUL-terminated; sd_bus_error_set copies both strings.
  int r = 0;
  if (isValidErrorName(result.errorName)) {
    r = sd_bus_error_set(error, result.errorName.c_str(), result.errorMessage.c_str());
  } else {
    r = sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "%s: %s", result.errorName.c_str(),
                          result.errorMessage.c_str());
  }
  return r < 0 ? r : -EIO;
}

}  // namespace sipha::common
