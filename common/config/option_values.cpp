#include "common/config/option_values.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace sipha::common {

ValueOr<bool> parseBool(std::string_view text) {
  if (text == "true" || text == "yes" || text == "on" || text == "1") return {true, {}};
  if (text == "false" || text == "no" || text == "off" || text == "0") return {false, {}};
  return {std::nullopt, "expected true or false, got '" + std::string{text} + "'"};
}

ValueOr<std::uint64_t> parseUnsigned(std::string_view text, std::uint64_t min, std::uint64_t max) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string range = " (allowed " + std::to_string(min) + "-" + std::to_string(max) + ")";
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return {std::nullopt, "expected a whole number" + range + ", got '" + std::string{text} + "'"};
  }
  if (value < min || value > max)
    return {std::nullopt, std::to_string(value) + " is out of range" + range};
  return {value, {}};
}

ValueOr<std::string> parseIpAddress(std::string_view text) {
  const std::string candidate{text};
  unsigned char buffer[sizeof(in6_addr)];
  if (inet_pton(AF_INET, candidate.c_str(), buffer) == 1 ||
      inet_pton(AF_INET6, candidate.c_str(), buffer) == 1) {
    return {candidate, {}};
  }
  return {std::nullopt, "expected an IPv4 or IPv6 address, got '" + candidate + "'"};
}

ValueOr<std::string> parseAbsolutePath(std::string_view text) {
  if (text.empty() || text.front() != '/') {
    return {std::nullopt, "expected an absolute path, got '" + std::string{text} + "'"};
  }
  return {std::string{text}, {}};
}

}  // namespace sipha::common
