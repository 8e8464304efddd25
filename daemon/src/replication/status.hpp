#pragma once
// What both ends of the replication report (D-Bus ReplicationState / Counters "replication.*",
// docs/replication.md).
#include <array>
#include <cstdint>
#include <string_view>

namespace sipha::replication {

enum class ReplicationState : std::uint8_t {
  Off,         // standalone: no peer
  Connecting,  // no live link to the peer (backup: dialling; primary: no backup yet)
  Snapshot,    // a snapshot or catch-up is under way
  Streaming,   // live: the primary's REGISTERs wait for the backup's acknowledgement
  Degraded,    // primary: the backup was in sync and is no longer (away or too slow); REGISTERs
               // are answered from the primary's own state until it has caught up again
};
std::string_view replicationStateName(ReplicationState state) noexcept;

// Replication delay from publish on the primary to the backup's acknowledgement, in
// power-of-two microsecond buckets (bucket i holds delays < 2^i us).
class LagHistogram {
 public:
  void add(std::uint64_t micros) noexcept;
  // The upper bound of the bucket holding the p-th percentile (0 when empty).
  std::uint64_t percentile(double p) const noexcept;
  std::uint64_t count() const noexcept { return count_; }
  void clear() noexcept {
    buckets_.fill(0);
    count_ = 0;
  }

 private:
  std::array<std::uint64_t, 40> buckets_{};
  std::uint64_t count_ = 0;
};

struct ReplicationCounters {
  // both ends
  std::uint64_t framesOut = 0;
  std::uint64_t framesIn = 0;
  std::uint64_t refusedStaleEpoch = 0;  // a frame or Hello of a lower epoch (and a newer peer)
  std::uint64_t refusedGarbled = 0;     // a frame or record that does not decode, or a gap
  std::uint64_t refusedNotPrimary = 0;  // dialled while backup / told the peer is no primary
  // primary
  std::uint64_t snapshotsSent = 0;
  std::uint64_t resumes = 0;  // a backup resumed from the backlog without a snapshot
  std::uint64_t recordsSent = 0;
  std::uint64_t acks = 0;
  std::uint64_t syncWaits = 0;        // REGISTER answers that waited for the backup
  std::uint64_t syncAcked = 0;        // ... and got its acknowledgement
  std::uint64_t unsyncedAnswers = 0;  // answered without the backup (not streaming / timed out)
  std::uint64_t degradedEntries = 0;
  // backup
  std::uint64_t snapshotsApplied = 0;
  std::uint64_t recordsApplied = 0;
};

}  // namespace sipha::replication
