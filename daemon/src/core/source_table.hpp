#pragma once
// Per-source-address counters: OPTIONS seen (how a node sees the BIG-IP monitor) and UDP
// datagrams dropped while backup. Keyed by IP address only — a monitor probes from ephemeral
// ports — and bounded, because the sources are peer-controlled: past the limit, new addresses
// are folded into one overflow entry.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace sipha::core {

struct SourceAddress {
  std::uint8_t family = 0;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};

  static SourceAddress from(const sockaddr_storage& address);
  std::string toString() const;
  bool operator==(const SourceAddress&) const = default;
};

struct SourceAddressHash {
  std::size_t operator()(const SourceAddress& address) const noexcept;
};

struct SourceStats {
  std::uint64_t count = 0;
  std::uint64_t lastUsec = 0;  // CLOCK_REALTIME, microseconds since the Unix epoch
};

class SourceTable {
 public:
  static constexpr const char* kOverflowName = "other";

  explicit SourceTable(std::size_t maxSources = 4096) : maxSources_(maxSources) {}

  void record(const sockaddr_storage& from, std::uint64_t nowUsec);

  struct Row {
    std::string source;
    SourceStats stats;
  };
  std::vector<Row> rows() const;  // sorted by source text
  std::uint64_t total() const { return total_; }

 private:
  std::size_t maxSources_;
  std::unordered_map<SourceAddress, SourceStats, SourceAddressHash> sources_;
  SourceStats overflow_;
  std::uint64_t total_ = 0;
};

}  // namespace sipha::core
