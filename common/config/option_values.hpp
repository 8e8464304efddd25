#pragma once
// Parsing of single option values. Each returns the value or a reason a person can act on.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipha::common {

// The value, or (value empty) the reason it was refused.
template <typename T>
struct ValueOr {
  std::optional<T> value;
  std::string reason;
};

ValueOr<bool> parseBool(std::string_view text);  // true/false, yes/no, on/off, 1/0
ValueOr<std::uint64_t> parseUnsigned(std::string_view text, std::uint64_t min, std::uint64_t max);
ValueOr<std::string> parseIpAddress(std::string_view text);  // literal IPv4 or IPv6, no brackets
ValueOr<std::string> parseAbsolutePath(std::string_view text);

}  // namespace sipha::common
