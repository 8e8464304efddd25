#pragma once
// Minimal JSON text building for the Status() dump (RFC 8259 section 7 string escaping).
#include <string>
#include <string_view>
#include <vector>

namespace sipha::netcfg::service {

std::string jsonString(std::string_view text);  // quoted and escaped
std::string jsonStringArray(const std::vector<std::string>& items);

}  // namespace sipha::netcfg::service
