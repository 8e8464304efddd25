#pragma once
// A move-only `void()` callable stored inline (never on the heap), so scheduling a timer does not
// allocate. Captures are limited to kCapacity bytes: capture a pointer to your state and an id,
// not the state itself. The limit is checked at compile time.
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace sipha::timer {

class Callback {
 public:
  static constexpr std::size_t kCapacity = 3 * sizeof(void*);

  Callback() noexcept = default;

  template <typename F>
  requires(!std::is_same_v<std::decay_t<F>, Callback> && std::is_invocable_r_v<void, F&>)
      Callback(F&& function)
  noexcept {  // NOLINT(google-explicit-constructor): lambdas convert
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= kCapacity,
                  "timer callback captures too much: capture a pointer to state instead");
    static_assert(alignof(Fn) <= alignof(void*), "timer callback is over-aligned");
    static_assert(std::is_nothrow_move_constructible_v<Fn>, "timer callback must move noexcept");
    ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(function));
    invoke_ = [](void* self) { (*static_cast<Fn*>(self))(); };
    relocate_ = [](void* from, void* to) noexcept {
      Fn* source = static_cast<Fn*>(from);
      if (to != nullptr) ::new (to) Fn(std::move(*source));
      source->~Fn();
    };
  }

  Callback(Callback&& other) noexcept { takeFrom(other); }
  Callback& operator=(Callback&& other) noexcept {
    if (this != &other) {
      reset();
      takeFrom(other);
    }
    return *this;
  }
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  ~Callback() { reset(); }

  explicit operator bool() const noexcept { return invoke_ != nullptr; }
  void operator()() { invoke_(storage_); }

  void reset() noexcept {
    if (relocate_ != nullptr) relocate_(storage_, nullptr);
    invoke_ = nullptr;
    relocate_ = nullptr;
  }

 private:
  void takeFrom(Callback& other) noexcept {
    if (other.relocate_ == nullptr) return;
    other.relocate_(other.storage_, storage_);
    invoke_ = std::exchange(other.invoke_, nullptr);
    relocate_ = std::exchange(other.relocate_, nullptr);
  }

  alignas(void*) unsigned char storage_[kCapacity];
  void (*invoke_)(void*) = nullptr;
  void (*relocate_)(void* from, void* to) noexcept = nullptr;
};

}  // namespace sipha::timer
