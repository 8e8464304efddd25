#pragma once
// The primary's bounded memory of the stream's latest records (docs/replication.md, "Resume"):
// a backup that reconnects after a short flap resumes from its last acknowledged sequence out
// of this backlog, like a PostgreSQL standby from the primary's retained WAL; one that fell
// behind the backlog's start gets a new snapshot. Bounded by record count and by bytes; the
// oldest records go first. Entries reuse their buffers once the backlog is full (no allocation
// per record in steady state).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace sipha::replication {

class Backlog {
 public:
  Backlog(std::size_t maxRecords, std::size_t maxBytes) noexcept
      : maxRecords_(maxRecords == 0 ? 1 : maxRecords), maxBytes_(maxBytes) {}

  // `seq` must be last() + 1 (or anything when empty).
  void append(std::uint64_t seq, std::string_view encoded, std::int64_t publishedUs);
  void clear() noexcept;

  bool empty() const noexcept { return entries_.empty(); }
  std::uint64_t first() const noexcept { return entries_.empty() ? 0 : entries_.front().seq; }
  std::uint64_t last() const noexcept { return entries_.empty() ? 0 : entries_.back().seq; }
  // Every record after `applied` up to last() is held: a backup at `applied` can resume.
  bool canResumeAfter(std::uint64_t applied) const noexcept;
  std::string_view record(std::uint64_t seq) const noexcept;   // must be held
  std::int64_t publishedUs(std::uint64_t seq) const noexcept;  // must be held
  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  struct Entry {
    std::uint64_t seq = 0;
    std::int64_t publishedUs = 0;
    std::string bytes;
  };
  const Entry& at(std::uint64_t seq) const noexcept {
    return entries_[static_cast<std::size_t>(seq - entries_.front().seq)];
  }
  std::size_t maxRecords_;
  std::size_t maxBytes_;
  std::size_t bytes_ = 0;
  std::deque<Entry> entries_;
  std::string spare_;  // the buffer of the last evicted entry, reused by the next append
};

}  // namespace sipha::replication
