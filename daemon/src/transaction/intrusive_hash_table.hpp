#pragma once
// A chained hash table whose links live inside the stored objects: insert and erase never
// allocate (the bucket array is sized once from the configured transaction limit), which keeps
// the per-packet path free of allocation beyond the transaction object itself.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sipha::transaction {

template <typename T>
struct HashLink {
  T* next = nullptr;
  std::uint64_t hash = 0;
  bool linked = false;
};

template <typename T, HashLink<T> T::*Link>
class IntrusiveHashTable {
 public:
  // Load factor <= 1 up to `expected` entries; capped so a huge limit does not reserve gigabytes.
  explicit IntrusiveHashTable(std::size_t expected)
      : buckets_(std::bit_ceil(std::clamp<std::size_t>(expected, 16, std::size_t{1} << 22))),
        mask_(buckets_.size() - 1) {}

  void insert(T& item, std::uint64_t hash) noexcept {
    HashLink<T>& link = item.*Link;
    T*& head = buckets_[hash & mask_];
    link.next = head;
    link.hash = hash;
    link.linked = true;
    head = &item;
    ++size_;
  }

  void erase(T& item) noexcept {
    HashLink<T>& link = item.*Link;
    if (!link.linked) return;
    for (T** slot = &buckets_[link.hash & mask_]; *slot != nullptr; slot = &((*slot)->*Link).next) {
      if (*slot == &item) {
        *slot = link.next;
        link = HashLink<T>{};
        --size_;
        return;
      }
    }
  }

  template <typename Match>
  T* find(std::uint64_t hash, Match&& match) const noexcept {
    for (T* item = buckets_[hash & mask_]; item != nullptr; item = (item->*Link).next) {
      if ((item->*Link).hash == hash && match(*item)) return item;
    }
    return nullptr;
  }

  // Visits every entry (which `visit` must not insert or erase).
  template <typename Visit>
  void forEach(Visit&& visit) const {
    for (T* head : buckets_) {
      for (T* item = head; item != nullptr; item = (item->*Link).next) visit(*item);
    }
  }

  // Removes every entry, handing each to `visit` after it is unlinked.
  template <typename Visit>
  void clear(Visit&& visit) noexcept {
    for (T*& head : buckets_) {
      while (head != nullptr) {
        T* item = head;
        head = (item->*Link).next;
        item->*Link = HashLink<T>{};
        --size_;
        visit(*item);
      }
    }
  }

  std::size_t size() const noexcept { return size_; }

 private:
  std::vector<T*> buckets_;
  std::size_t mask_;
  std::size_t size_ = 0;
};

}  // namespace sipha::transaction
