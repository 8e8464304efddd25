#pragma once
// The daemon's one timer facility: a hierarchical timing wheel (Varghese & Lauck) at 1 ms
// resolution.
//
// Why a wheel and not a heap: under load the daemon holds ~100k transactions with two timers each,
// and most timers are cancelled before they fire (a response stops Timer A/B/E/F). A wheel makes
// schedule and cancel O(1) (unlink from an intrusive list, no sift), firing O(1) per timer, and
// finding the next deadline O(levels) with one count-trailing-zeros per level on an occupancy
// bitmap. A 4-ary heap would make every cancel O(log n) sifting through cache-cold memory.
//
// Layout: 5 levels of 64 slots (6 bits each: 64 ms, 4.1 s, 4.4 min, 4.7 h, 12.4 days). A timer
// goes to the lowest level whose digit is the most significant one where its deadline differs
// from the wheel's time, so every timer on level L is earlier than every timer on level L+1 and a
// higher-level slot is re-sorted ("cascaded") into lower levels when the wheel's time enters it.
// Deadlines beyond the top level wait in an overflow list re-sorted every 12.4 days.
// Timer nodes live in one vector recycled through a free list: no allocation per schedule once
// the pool has grown to the working set. Handles carry a generation so a stale cancel is a no-op.
//
// Single-threaded: owned and driven by the event loop's thread.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "timer/callback.hpp"
#include "timer/clock.hpp"

namespace sipha::timer {

struct TimerHandle {
  static constexpr std::uint32_t kInvalid = 0xffffffffu;
  std::uint32_t index = kInvalid;
  std::uint32_t generation = 0;

  bool valid() const noexcept { return index != kInvalid; }
  friend bool operator==(TimerHandle, TimerHandle) = default;
};

class TimerWheel {
 public:
  // `clock` gives the base of schedule(delay); `reserve` pre-sizes the node pool.
  explicit TimerWheel(const Clock& clock, std::size_t reserve = 1024);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Fires `callback` once, at the first advance() whose time is >= clock.now() + delay.
  TimerHandle schedule(Duration delay, Callback callback);
  TimerHandle scheduleAt(TimePoint deadline, Callback callback);

  // Cancels a pending timer and invalidates `handle`. Returns false (and does nothing) when the
  // timer already fired, was cancelled, or the handle is invalid or stale.
  bool cancel(TimerHandle& handle) noexcept;
  bool pending(TimerHandle handle) const noexcept;

  // Fires every timer whose deadline is <= now, in deadline order; returns how many fired.
  // Callbacks may schedule and cancel timers (including ones due in this same advance).
  // A nested call from inside a callback does nothing.
  std::size_t advance(TimePoint now);
  std::size_t advance() { return advance(clock_.now()); }

  // When advance() next has work to do: the deadline of the earliest timer when it is within
  // 64 ms of the wheel's time, otherwise the earlier moment its level must be cascaded (never
  // later than the earliest deadline). Empty when no timer is pending.
  std::optional<TimePoint> nextDeadline() const noexcept;

  std::size_t size() const noexcept { return live_; }
  bool empty() const noexcept { return live_ == 0; }
  // Timer nodes ever allocated (live + free list): stays at the peak working set.
  std::size_t poolSize() const noexcept { return nodes_.size(); }
  const Clock& clock() const noexcept { return clock_; }

 private:
  static constexpr unsigned kBits = 6;
  static constexpr unsigned kSlots = 1u << kBits;
  static constexpr unsigned kLevels = 5;
  static constexpr std::uint64_t kWheelSpan = std::uint64_t{1} << (kBits * kLevels);
  static constexpr std::uint32_t kNil = 0xffffffffu;
  static constexpr std::uint16_t kOverflowList = kLevels * kSlots;
  static constexpr std::uint16_t kStagingList = kOverflowList + 1;
  static constexpr std::uint16_t kListCount = kStagingList + 1;
  static constexpr std::uint16_t kNoList = 0xffff;

  struct Node {
    std::uint64_t deadline = 0;  // ms on the clock's timeline
    std::uint32_t prev = kNil;
    std::uint32_t next = kNil;
    std::uint32_t generation = 0;
    std::uint16_t list = kNoList;  // which list holds it; kNoList = free
    Callback callback;
  };

  struct Expiration {
    std::uint64_t time;
    std::uint16_t list;  // slot list, or kOverflowList
  };

  static std::uint64_t ticks(TimePoint time) noexcept;
  std::uint32_t allocate();
  void release(std::uint32_t index) noexcept;
  void insert(std::uint32_t index) noexcept;
  void pushBack(std::uint16_t list, std::uint32_t index) noexcept;
  void unlink(std::uint32_t index) noexcept;
  void moveListToStaging(std::uint16_t list) noexcept;
  std::optional<Expiration> nextExpiration() const noexcept;
  std::size_t fireStaging();
  void cascadeStaging() noexcept;

  const Clock& clock_;
  std::vector<Node> nodes_;
  std::uint32_t freeHead_ = kNil;
  std::array<std::uint32_t, kListCount> heads_;
  std::array<std::uint32_t, kListCount> tails_;
  std::array<std::uint64_t, kLevels> occupied_{};  // bit s set: slot s of that level non-empty
  std::uint64_t elapsed_ = 0;                      // the wheel's time, ms
  std::size_t live_ = 0;
  bool advancing_ = false;
};

}  // namespace sipha::timer
