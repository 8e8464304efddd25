#include "core/auth_failure_table.hpp"

namespace sipha::core {

void AuthFailureTable::configure(Settings settings) {
  settings_ = settings;
  if (settings_.limit == 0) {
    recent_.clear();
    index_.clear();
    return;
  }
  while (index_.size() > settings_.capacity && evictOldest()) {
  }
}

bool AuthFailureTable::evictOldest() {
  if (recent_.empty()) return false;
  index_.erase(recent_.back().source);
  recent_.pop_back();
  return true;
}

bool AuthFailureTable::blocked(const common::IpAddress& source, timer::TimePoint now) {
  const auto found = index_.find(source);
  if (found == index_.end()) return false;
  const List::iterator entry = found->second;
  if (entry->blockedUntil > now) {
    touch(entry);
    return true;
  }
  if (now - entry->windowStart >= settings_.window) {  // nothing left to remember
    recent_.erase(entry);
    index_.erase(found);
  }
  return false;
}

AuthFailureTable::Outcome AuthFailureTable::recordFailure(const common::IpAddress& source,
                                                          timer::TimePoint now) {
  Outcome outcome;
  if (settings_.limit == 0 || settings_.capacity == 0) return outcome;
  auto found = index_.find(source);
  if (found == index_.end()) {
    if (index_.size() >= settings_.capacity) outcome.evicted = evictOldest();
    recent_.push_front(Entry{source, now, now, 0});
    found = index_.emplace(source, recent_.begin()).first;
  }
  const List::iterator entry = found->second;
  touch(entry);
  if (now - entry->windowStart >= settings_.window) {
    entry->windowStart = now;
    entry->failures = 0;
  }
  if (++entry->failures >= settings_.limit && entry->blockedUntil <= now) {
    entry->blockedUntil = now + settings_.window;
    outcome.blocked = true;
  }
  return outcome;
}

}  // namespace sipha::core
