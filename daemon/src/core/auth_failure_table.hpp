#pragma once
// Failed authentications per source address (docs/authentication.md "Rate limit"): a source
// that fails `limit` times within `window` is blocked for `window` from the failure that reached
// the limit, so it gets at most `limit` guesses per window. The table is bounded: it tracks at
// most `capacity` sources and evicts the least recently seen one to make room, so a client
// cycling through addresses cannot make it grow. Pure: the caller passes the time.
#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

#include "common/net/ip_network.hpp"
#include "timer/clock.hpp"

namespace sipha::core {

struct AuthFailureSettings {
  std::uint32_t limit = 10;  // 0: no limit (nothing is tracked)
  timer::Duration window{60000};
  std::size_t capacity = 4096;
};

class AuthFailureTable {
 public:
  using Settings = AuthFailureSettings;
  struct Outcome {
    bool blocked = false;  // this failure reached the limit: the source is blocked from now
    bool evicted = false;  // another source was dropped from the full table to track this one
  };

  AuthFailureTable() = default;
  explicit AuthFailureTable(Settings settings) : settings_(settings) {}

  // A reload: a smaller capacity drops the least recently seen sources at once.
  void configure(Settings settings);
  // True while `source` is blocked (the request is refused without any check); a blocked source
  // counts as recently seen.
  bool blocked(const common::IpAddress& source, timer::TimePoint now);
  // One failed authentication (or refusal) of `source`.
  Outcome recordFailure(const common::IpAddress& source, timer::TimePoint now);

  std::size_t size() const noexcept { return index_.size(); }
  const Settings& settings() const noexcept { return settings_; }

 private:
  struct Entry {
    common::IpAddress source;
    timer::TimePoint windowStart;
    timer::TimePoint blockedUntil;
    std::uint32_t failures = 0;
  };
  using List = std::list<Entry>;  // most recently seen first

  void touch(List::iterator entry) { recent_.splice(recent_.begin(), recent_, entry); }
  bool evictOldest();

  Settings settings_;
  List recent_;
  std::unordered_map<common::IpAddress, List::iterator, common::IpAddressHash> index_;
};

}  // namespace sipha::core
