#include "timer/timer_wheel.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>

namespace sipha::timer {

TimerWheel::TimerWheel(const Clock& clock, std::size_t reserve)
    : clock_(clock), elapsed_(ticks(clock.now())) {
  heads_.fill(kNil);
  tails_.fill(kNil);
  nodes_.reserve(reserve);
}

std::uint64_t TimerWheel::ticks(TimePoint time) noexcept {
  const auto count = time.time_since_epoch().count();
  return count < 0 ? 0 : static_cast<std::uint64_t>(count);
}

TimerHandle TimerWheel::schedule(Duration delay, Callback callback) {
  return scheduleAt(clock_.now() + std::max(delay, Duration::zero()), std::move(callback));
}

TimerHandle TimerWheel::scheduleAt(TimePoint deadline, Callback callback) {
  const std::uint32_t index = allocate();
  Node& node = nodes_[index];
  node.deadline = std::max(ticks(deadline), elapsed_);
  node.callback = std::move(callback);
  ++live_;
  insert(index);
  return TimerHandle{index, node.generation};
}

bool TimerWheel::pending(TimerHandle handle) const noexcept {
  return handle.index < nodes_.size() && nodes_[handle.index].generation == handle.generation &&
         nodes_[handle.index].list != kNoList;
}

bool TimerWheel::cancel(TimerHandle& handle) noexcept {
  const bool wasPending = pending(handle);
  if (wasPending) {
    unlink(handle.index);
    release(handle.index);
  }
  handle = TimerHandle{};
  return wasPending;
}

std::uint32_t TimerWheel::allocate() {
  if (freeHead_ != kNil) {
    const std::uint32_t index = freeHead_;
    freeHead_ = nodes_[index].next;
    nodes_[index].next = kNil;
    return index;
  }
  if (nodes_.size() >= kNil) std::abort();  // 4 billion timers: an impossible state
  nodes_.emplace_back();
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void TimerWheel::release(std::uint32_t index) noexcept {
  Node& node = nodes_[index];
  ++node.generation;
  node.list = kNoList;
  node.callback.reset();
  node.prev = kNil;
  node.next = freeHead_;
  freeHead_ = index;
  --live_;
}

// The level is the 6-bit digit holding the most significant bit where deadline and the wheel's
// time differ; the slot is the deadline's digit on that level.
void TimerWheel::insert(std::uint32_t index) noexcept {
  const std::uint64_t deadline = nodes_[index].deadline;
  const std::uint64_t differing = deadline ^ elapsed_;
  if (differing >= kWheelSpan) {
    pushBack(kOverflowList, index);
    return;
  }
  const unsigned level = differing == 0 ? 0 : (63 - std::countl_zero(differing)) / kBits;
  const unsigned slot = static_cast<unsigned>(deadline >> (level * kBits)) & (kSlots - 1);
  pushBack(static_cast<std::uint16_t>(level * kSlots + slot), index);
}

void TimerWheel::pushBack(std::uint16_t list, std::uint32_t index) noexcept {
  Node& node = nodes_[index];
  node.list = list;
  node.next = kNil;
  node.prev = tails_[list];
  if (tails_[list] == kNil) {
    heads_[list] = index;
  } else {
    nodes_[tails_[list]].next = index;
  }
  tails_[list] = index;
  if (list < kOverflowList) occupied_[list / kSlots] |= std::uint64_t{1} << (list % kSlots);
}

void TimerWheel::unlink(std::uint32_t index) noexcept {
  Node& node = nodes_[index];
  const std::uint16_t list = node.list;
  if (node.prev == kNil) {
    heads_[list] = node.next;
  } else {
    nodes_[node.prev].next = node.next;
  }
  if (node.next == kNil) {
    tails_[list] = node.prev;
  } else {
    nodes_[node.next].prev = node.prev;
  }
  node.prev = node.next = kNil;
  if (list < kOverflowList && heads_[list] == kNil) {
    occupied_[list / kSlots] &= ~(std::uint64_t{1} << (list % kSlots));
  }
}

void TimerWheel::moveListToStaging(std::uint16_t list) noexcept {
  for (std::uint32_t index = heads_[list]; index != kNil; index = nodes_[index].next) {
    nodes_[index].list = kStagingList;
  }
  heads_[kStagingList] = heads_[list];
  tails_[kStagingList] = tails_[list];
  heads_[list] = tails_[list] = kNil;
  if (list < kOverflowList) occupied_[list / kSlots] &= ~(std::uint64_t{1} << (list % kSlots));
}

// Every timer on a lower level is earlier than every timer on a higher one, so the answer is the
// first occupied slot at or after the wheel's own digit on the lowest occupied level.
std::optional<TimerWheel::Expiration> TimerWheel::nextExpiration() const noexcept {
  for (unsigned level = 0; level < kLevels; ++level) {
    if (occupied_[level] == 0) continue;
    const unsigned shift = level * kBits;
    const unsigned ownDigit = static_cast<unsigned>(elapsed_ >> shift) & (kSlots - 1);
    std::uint64_t ahead = occupied_[level] & (~std::uint64_t{0} << ownDigit);
    if (ahead == 0) ahead = occupied_[level];  // cannot happen while the invariant holds
    const unsigned slot = static_cast<unsigned>(std::countr_zero(ahead));
    const std::uint64_t levelSpan = std::uint64_t{1} << (shift + kBits);
    std::uint64_t time = (elapsed_ & ~(levelSpan - 1)) + (std::uint64_t{slot} << shift);
    time = std::max(time, elapsed_);
    return Expiration{time, static_cast<std::uint16_t>(level * kSlots + slot)};
  }
  if (heads_[kOverflowList] != kNil) {
    return Expiration{(elapsed_ | (kWheelSpan - 1)) + 1, kOverflowList};
  }
  return std::nullopt;
}

std::optional<TimePoint> TimerWheel::nextDeadline() const noexcept {
  const auto expiration = nextExpiration();
  if (!expiration) return std::nullopt;
  return TimePoint(Duration(static_cast<Duration::rep>(expiration->time)));
}

std::size_t TimerWheel::advance(TimePoint now) {
  if (advancing_) return 0;
  advancing_ = true;
  struct Reentry {
    bool& flag;
    ~Reentry() { flag = false; }
  } reentry{advancing_};

  const std::uint64_t target = std::max(ticks(now), elapsed_);
  std::size_t fired = 0;
  for (auto expiration = nextExpiration(); expiration && expiration->time <= target;
       expiration = nextExpiration()) {
    elapsed_ = std::max(elapsed_, expiration->time);
    moveListToStaging(expiration->list);
    if (expiration->list < kSlots) {
      fired += fireStaging();
    } else {
      cascadeStaging();
    }
  }
  elapsed_ = target;
  return fired;
}

std::size_t TimerWheel::fireStaging() {
  std::size_t fired = 0;
  while (heads_[kStagingList] != kNil) {
    const std::uint32_t index = heads_[kStagingList];
    unlink(index);
    Callback callback = std::move(nodes_[index].callback);
    release(index);
    callback();  // may schedule (and grow nodes_) or cancel staged timers
    ++fired;
  }
  return fired;
}

void TimerWheel::cascadeStaging() noexcept {
  while (heads_[kStagingList] != kNil) {
    const std::uint32_t index = heads_[kStagingList];
    unlink(index);
    insert(index);
  }
}

}  // namespace sipha::timer
