#include "common/net/ip_network.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace sipha::common {
namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// ::ffff:a.b.c.d -> a.b.c.d (RFC 4291 2.5.5.2).
IpAddress unmapped(IpAddress address) noexcept {
  if (address.family != AF_INET6 ||
      std::memcmp(address.bytes.data(), kMappedPrefix.data(), kMappedPrefix.size()) != 0) {
    return address;
  }
  IpAddress v4;
  v4.family = AF_INET;
  std::memcpy(v4.bytes.data(), address.bytes.data() + 12, 4);
  return v4;
}

unsigned maxLength(const IpAddress& address) noexcept {
  return address.family == AF_INET ? 32u : 128u;
}

bool isBlank(char c) noexcept { return c == ' ' || c == '\t'; }

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) noexcept {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  char buffer[INET6_ADDRSTRLEN] = {};
  if (text.empty() || text.size() >= sizeof buffer) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  IpAddress address;
  if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) {
    address.family = AF_INET;
    return address;
  }
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) == 1) {
    address.family = AF_INET6;
    return unmapped(address);
  }
  return std::nullopt;
}

IpAddress IpAddress::from(const sockaddr_storage& address) noexcept {
  IpAddress out;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    out.family = AF_INET;
    std::memcpy(out.bytes.data(), &v4.sin_addr, 4);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    out.family = AF_INET6;
    std::memcpy(out.bytes.data(), &v6.sin6_addr, 16);
    out = unmapped(out);
  }
  return out;
}

std::string IpAddress::toString() const {
  if (family != AF_INET && family != AF_INET6) return {};
  char buffer[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, bytes.data(), buffer, sizeof buffer) == nullptr) return {};
  return buffer;
}

std::size_t IpAddressHash::operator()(const IpAddress& address) const noexcept {
  // FNV-1a over the family and the bytes that family uses.
  std::size_t hash = 1469598103934665603ull ^ address.family;
  const std::size_t used = address.family == AF_INET ? 4 : address.bytes.size();
  for (std::size_t i = 0; i < used; ++i) hash = (hash ^ address.bytes[i]) * 1099511628211ull;
  return hash;
}

ValueOr<IpNetwork> IpNetwork::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) {
    return {std::nullopt,
            "expected an IPv4 or IPv6 network ADDRESS/LENGTH, got '" + std::string{text} + "'"};
  }
  IpNetwork network{*address, static_cast<std::uint8_t>(maxLength(*address))};
  if (slash == std::string_view::npos) return {network, {}};
  const std::string_view lengthText = text.substr(slash + 1);
  unsigned length = 0;
  bool digits = !lengthText.empty() && lengthText.size() <= 3;
  for (const char c : lengthText) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) length = length * 10 + static_cast<unsigned>(c - '0');
  }
  if (!digits || length > maxLength(*address)) {
    return {std::nullopt, "prefix length must be 0-" + std::to_string(maxLength(*address)) +
                              " in '" + std::string{text} + "'"};
  }
  network.length = static_cast<std::uint8_t>(length);
  IpNetwork masked = network;
  for (unsigned bit = length; bit < maxLength(*address); ++bit) {
    masked.address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  }
  if (masked.address != network.address) {
    return {std::nullopt, "'" + std::string{text} + "' has host bits set (the network is " +
                              masked.toString() + ")"};
  }
  return {network, {}};
}

bool IpNetwork::contains(const IpAddress& candidate) const noexcept {
  if (candidate.family != address.family || address.family == 0) return false;
  unsigned remaining = length;
  for (std::size_t i = 0; remaining > 0; ++i) {
    const unsigned bits = remaining >= 8 ? 8 : remaining;
    const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - bits));
    if ((address.bytes[i] & mask) != (candidate.bytes[i] & mask)) return false;
    remaining -= bits;
  }
  return true;
}

std::string IpNetwork::toString() const {
  return address.toString() + "/" + std::to_string(length);
}

ValueOr<std::vector<IpNetwork>> parseNetworkList(std::string_view text) {
  std::vector<IpNetwork> networks;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != ',' && !isBlank(text[i])) continue;
    if (i > start) {
      auto parsed = IpNetwork::parse(text.substr(start, i - start));
      if (!parsed.value) return {std::nullopt, std::move(parsed.reason)};
      networks.push_back(*parsed.value);
    }
    start = i + 1;
  }
  return {std::move(networks), {}};
}

}  // namespace sipha::common
