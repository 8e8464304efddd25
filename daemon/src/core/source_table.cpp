#include "core/source_table.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace sipha::core {

SourceAddress SourceAddress::from(const sockaddr_storage& address) {
  SourceAddress key;
  key.family = static_cast<std::uint8_t>(address.ss_family);
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    std::memcpy(key.bytes.data(), &v4.sin_addr, sizeof(v4.sin_addr));
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    std::memcpy(key.bytes.data(), &v6.sin6_addr, sizeof(v6.sin6_addr));
  }
  return key;
}

std::string SourceAddress::toString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, bytes.data(), text, sizeof(text)) == nullptr) return "?";
  return text;
}

std::size_t SourceAddressHash::operator()(const SourceAddress& address) const noexcept {
  // FNV-1a over the family and the address bytes.
  std::uint64_t hash = 1469598103934665603ull ^ address.family;
  for (const auto byte : address.bytes) hash = (hash ^ byte) * 1099511628211ull;
  return static_cast<std::size_t>(hash);
}

void SourceTable::record(const sockaddr_storage& from, std::uint64_t nowUsec) {
  ++total_;
  const SourceAddress key = SourceAddress::from(from);
  auto found = sources_.find(key);
  if (found == sources_.end()) {
    if (sources_.size() >= maxSources_) {
      ++overflow_.count;
      overflow_.lastUsec = nowUsec;
      return;
    }
    found = sources_.emplace(key, SourceStats{}).first;
  }
  ++found->second.count;
  found->second.lastUsec = nowUsec;
}

std::vector<SourceTable::Row> SourceTable::rows() const {
  std::vector<Row> result;
  result.reserve(sources_.size() + 1);
  for (const auto& [address, stats] : sources_) result.push_back({address.toString(), stats});
  std::sort(result.begin(), result.end(),
            [](const Row& a, const Row& b) { return a.source < b.source; });
  if (overflow_.count != 0) result.push_back({kOverflowName, overflow_});
  return result;
}

}  // namespace sipha::core
