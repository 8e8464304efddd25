#include "config/address_text.hpp"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace sipha::netcfg {
namespace {

// Binary form of an address literal; family 0 when invalid.
struct RawAddress {
  int family = 0;
  std::array<std::uint8_t, 16> bytes{};
};

RawAddress toRaw(std::string_view text) {
  RawAddress raw;
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return raw;
  const std::string candidate{text};
  if (inet_pton(AF_INET, candidate.c_str(), raw.bytes.data()) == 1) {
    raw.family = AF_INET;
  } else if (inet_pton(AF_INET6, candidate.c_str(), raw.bytes.data()) == 1) {
    raw.family = AF_INET6;
  }
  return raw;
}

std::string canonical(const RawAddress& raw) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(raw.family, raw.bytes.data(), buffer, sizeof(buffer)) == nullptr) return {};
  return buffer;
}

}  // namespace

int addressFamily(std::string_view text) { return toRaw(text).family; }

common::ValueOr<std::string> parseAddress(std::string_view text) {
  const RawAddress raw = toRaw(text);
  if (raw.family == 0) {
    return {std::nullopt, "expected an IPv4 or IPv6 address, got '" + std::string{text} + "'"};
  }
  return {canonical(raw), {}};
}

common::ValueOr<Prefix> parsePrefix(std::string_view text, bool lengthRequired) {
  const auto slash = text.find('/');
  const std::string_view addressPart = text.substr(0, slash);
  const RawAddress raw = toRaw(addressPart);
  if (raw.family == 0) {
    return {std::nullopt, "expected ADDRESS/LENGTH with an IPv4 or IPv6 address, got '" +
                              std::string{text} + "'"};
  }
  const unsigned maxLength = raw.family == AF_INET ? 32 : 128;
  Prefix prefix{canonical(raw), static_cast<std::uint8_t>(maxLength), raw.family};
  if (slash == std::string_view::npos) {
    if (lengthRequired) {
      return {std::nullopt, "expected ADDRESS/LENGTH, the prefix length is missing in '" +
                                std::string{text} + "'"};
    }
    return {prefix, {}};
  }
  const std::string_view lengthPart = text.substr(slash + 1);
  unsigned length = 0;
  bool digits = !lengthPart.empty() && lengthPart.size() <= 3;
  for (const char c : lengthPart) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      digits = false;
      break;
    }
    length = length * 10 + static_cast<unsigned>(c - '0');
  }
  if (!digits || length > maxLength) {
    return {std::nullopt, "prefix length must be 0.." + std::to_string(maxLength) + ", got '" +
                              std::string{lengthPart} + "'"};
  }
  prefix.length = static_cast<std::uint8_t>(length);
  return {prefix, {}};
}

std::vector<std::string_view> splitList(std::string_view text) {
  std::vector<std::string_view> items;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const bool separator =
        i == text.size() || text[i] == ',' || std::isspace(static_cast<unsigned char>(text[i]));
    if (!separator) continue;
    if (i > start) items.push_back(text.substr(start, i - start));
    start = i + 1;
  }
  return items;
}

std::string prefixText(const Prefix& prefix) {
  return prefix.address + "/" + std::to_string(prefix.length);
}

bool prefixContains(const Prefix& network, std::string_view address) {
  const RawAddress net = toRaw(network.address);
  const RawAddress host = toRaw(address);
  if (net.family == 0 || net.family != host.family) return false;
  unsigned remaining = network.length;
  for (std::size_t i = 0; i < net.bytes.size() && remaining > 0; ++i) {
    const unsigned bits = remaining >= 8 ? 8 : remaining;
    const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - bits));
    if ((net.bytes[i] & mask) != (host.bytes[i] & mask)) return false;
    remaining -= bits;
  }
  return true;
}

}  // namespace sipha::netcfg
