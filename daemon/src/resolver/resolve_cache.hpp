#pragma once
// Results by query key, each until its expiry (the records' TTL clamped by the resolver), with a
// bounded size: when full, the least recently used entry makes room. Negative answers are cached
// like positive ones, for the negative TTL (RFC 2308 5).
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>

#include "resolver/resolve_result.hpp"
#include "timer/clock.hpp"

namespace sipha::resolver {

class ResolveCache {
 public:
  explicit ResolveCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The live entry for `key` (marked recently used), or null; an expired entry is dropped.
  const ResolveResult* find(const std::string& key, timer::TimePoint now);
  // Same without changing anything (for const readers).
  const ResolveResult* peek(const std::string& key, timer::TimePoint now) const;
  void insert(const std::string& key, ResolveResult result, timer::TimePoint expires);
  void erase(const std::string& key);
  void clear();

  std::size_t size() const noexcept { return index_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }
  std::uint64_t evictions() const noexcept { return evictions_; }

 private:
  struct Entry {
    std::string key;
    ResolveResult result;
    timer::TimePoint expires;
  };
  using List = std::list<Entry>;  // most recently used first

  std::size_t capacity_;
  List entries_;
  std::unordered_map<std::string, List::iterator> index_;
  std::uint64_t evictions_ = 0;
};

}  // namespace sipha::resolver
