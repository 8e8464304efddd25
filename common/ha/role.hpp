#pragma once
// The two roles of a node in a hot-standby pair, as spelled on D-Bus (SetRole, Role, RoleChanged)
// by every process of the appliance (sipd, sipha-netcfg, sipha-agent).
#include <cstdint>
#include <optional>
#include <string_view>

namespace sipha::common {

enum class Role : std::uint8_t { Backup, Primary };

// The D-Bus spelling. The view points at a NUL-terminated literal, so data() may go to C APIs.
constexpr std::string_view roleName(Role role) noexcept {
  return role == Role::Primary ? std::string_view{"primary"} : std::string_view{"backup"};
}

// Exact, case-sensitive: anything but "primary" or "backup" is refused (InvalidArgument).
constexpr std::optional<Role> parseRole(std::string_view text) noexcept {
  if (text == "primary") return Role::Primary;
  if (text == "backup") return Role::Backup;
  return std::nullopt;
}

}  // namespace sipha::common
