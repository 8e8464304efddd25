#include "core/serving_header.hpp"

#include "sip/text.hpp"

namespace sipha::core {

std::string servingHeaderValue(std::string_view nodeId, std::uint64_t epoch) {
  std::string value = "node=";
  if (sip::text::isToken(nodeId)) {
    value += nodeId;
  } else {
    value += '"';
    for (const char c : nodeId) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7f) continue;  // not allowed in a quoted-string
      if (c == '"' || c == '\\') value += '\\';
      value += c;
    }
    value += '"';
  }
  value += ";epoch=";
  value += std::to_string(epoch);
  return value;
}

}  // namespace sipha::core
