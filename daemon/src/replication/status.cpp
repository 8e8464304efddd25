#include "replication/status.hpp"

#include <bit>

namespace sipha::replication {

std::string_view replicationStateName(ReplicationState state) noexcept {
  switch (state) {
    case ReplicationState::Off:
      return "off";
    case ReplicationState::Connecting:
      return "connecting";
    case ReplicationState::Snapshot:
      return "snapshot";
    case ReplicationState::Streaming:
      return "streaming";
    case ReplicationState::Degraded:
      return "degraded";
  }
  return "unknown";
}

void LagHistogram::add(std::uint64_t micros) noexcept {
  std::size_t bucket = static_cast<std::size_t>(std::bit_width(micros));
  if (bucket >= buckets_.size()) bucket = buckets_.size() - 1;
  ++buckets_[bucket];
  ++count_;
}

std::uint64_t LagHistogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  const double wanted = p / 100.0 * static_cast<double>(count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (static_cast<double>(seen) >= wanted) return std::uint64_t{1} << i;
  }
  return std::uint64_t{1} << (buckets_.size() - 1);
}

}  // namespace sipha::replication
