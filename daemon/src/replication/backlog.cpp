#include "replication/backlog.hpp"

namespace sipha::replication {

void Backlog::append(std::uint64_t seq, std::string_view encoded, std::int64_t publishedUs) {
  if (!entries_.empty() && seq != entries_.back().seq + 1) clear();  // a gap: start over
  while (!entries_.empty() &&
         (entries_.size() >= maxRecords_ || bytes_ + encoded.size() > maxBytes_)) {
    bytes_ -= entries_.front().bytes.size();
    spare_ = std::move(entries_.front().bytes);
    entries_.pop_front();
  }
  Entry& entry = entries_.emplace_back();
  entry.seq = seq;
  entry.publishedUs = publishedUs;
  entry.bytes = std::move(spare_);
  entry.bytes.assign(encoded);
  spare_ = std::string{};
  bytes_ += encoded.size();
}

void Backlog::clear() noexcept {
  entries_.clear();
  bytes_ = 0;
}

bool Backlog::canResumeAfter(std::uint64_t applied) const noexcept {
  if (entries_.empty()) return false;
  return applied + 1 >= entries_.front().seq && applied <= entries_.back().seq;
}

std::string_view Backlog::record(std::uint64_t seq) const noexcept { return at(seq).bytes; }

std::int64_t Backlog::publishedUs(std::uint64_t seq) const noexcept { return at(seq).publishedUs; }

}  // namespace sipha::replication
