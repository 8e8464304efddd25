#include "resolver/resolve_cache.hpp"

namespace sipha::resolver {

const ResolveResult* ResolveCache::find(const std::string& key, timer::TimePoint now) {
  const auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  if (found->second->expires <= now) {
    entries_.erase(found->second);
    index_.erase(found);
    return nullptr;
  }
  entries_.splice(entries_.begin(), entries_, found->second);
  return &found->second->result;
}

const ResolveResult* ResolveCache::peek(const std::string& key, timer::TimePoint now) const {
  const auto found = index_.find(key);
  if (found == index_.end() || found->second->expires <= now) return nullptr;
  return &found->second->result;
}

void ResolveCache::insert(const std::string& key, ResolveResult result, timer::TimePoint expires) {
  if (const auto found = index_.find(key); found != index_.end()) {
    found->second->result = std::move(result);
    found->second->expires = expires;
    entries_.splice(entries_.begin(), entries_, found->second);
    return;
  }
  while (index_.size() >= capacity_ && !entries_.empty()) {
    index_.erase(entries_.back().key);
    entries_.pop_back();
    ++evictions_;
  }
  entries_.push_front(Entry{key, std::move(result), expires});
  index_.emplace(key, entries_.begin());
}

void ResolveCache::erase(const std::string& key) {
  const auto found = index_.find(key);
  if (found == index_.end()) return;
  entries_.erase(found->second);
  index_.erase(found);
}

void ResolveCache::clear() {
  index_.clear();
  entries_.clear();
}

}  // namespace sipha::resolver
