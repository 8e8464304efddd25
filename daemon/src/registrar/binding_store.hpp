#pragma once
// In-memory bindings of the registrar: AOR -> contacts, O(1) lookup per AOR, plus an index of
// the earliest expiry per AOR so expiry is O(log n) per AOR. No SIP rules here (registrar.hpp).
// Compact: one heap buffer per binding holds its strings (see README.md, "Memory").
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sipha::registrar {

class StoredBinding {
 public:
  StoredBinding(std::string_view uri, std::string_view callId, std::string_view params,
                std::string_view source, std::uint32_t cseq, std::int64_t expiresAt,
                std::optional<std::uint16_t> q);

  std::string_view uri() const noexcept { return {text_.data(), uriLength_}; }
  std::string_view callId() const noexcept { return {text_.data() + uriLength_, callIdLength_}; }
  std::string_view params() const noexcept {
    return {text_.data() + uriLength_ + callIdLength_, paramsLength_};
  }
  std::string_view source() const noexcept {
    return {text_.data() + uriLength_ + callIdLength_ + paramsLength_,
            text_.size() - uriLength_ - callIdLength_ - paramsLength_};
  }
  std::uint32_t cseq() const noexcept { return cseq_; }
  std::int64_t expiresAt() const noexcept { return expiresAt_; }
  std::optional<std::uint16_t> q() const noexcept {
    return q_ == kNoQ ? std::nullopt : std::optional<std::uint16_t>(q_);
  }

  // Everything but the URI changes on a refresh.
  void update(std::string_view callId, std::string_view params, std::string_view source,
              std::uint32_t cseq, std::int64_t expiresAt, std::optional<std::uint16_t> q);

  std::size_t heapBytes() const noexcept { return text_.capacity() > 15 ? text_.capacity() : 0; }

 private:
  static constexpr std::uint16_t kNoQ = 0xFFFF;

  std::string text_;  // uri | callId | params | source
  std::int64_t expiresAt_;
  std::uint32_t cseq_;
  std::uint16_t uriLength_;
  std::uint16_t callIdLength_;
  std::uint16_t paramsLength_;
  std::uint16_t q_;
};

struct AorRecord {
  std::vector<StoredBinding> bindings;
  std::int64_t minExpiry = 0;  // valid while bindings is not empty
};

// URI equality for bindings (RFC 3261 19.1.4, simplified): scheme and everything after the
// user part (host, port, parameters) compare case-insensitively, the user part exactly;
// parameter order matters and escapes are not decoded.
bool contactUriEqual(std::string_view a, std::string_view b) noexcept;

class BindingStore {
 public:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };
  using Map = std::unordered_map<std::string, AorRecord, KeyHash, std::equal_to<>>;

  const AorRecord* find(std::string_view aor) const;
  AorRecord* find(std::string_view aor);

  const StoredBinding* findBinding(std::string_view aor, std::string_view uri) const;

  // Inserts or updates the binding of `aor` whose URI equals `uri` (an existing binding keeps
  // its URI text). Returns the binding (valid until the next change of this AOR) and whether it
  // is new.
  std::pair<const StoredBinding*, bool> upsert(std::string_view aor, std::string_view uri,
                                               std::string_view callId, std::string_view params,
                                               std::string_view source, std::uint32_t cseq,
                                               std::int64_t expiresAt,
                                               std::optional<std::uint16_t> q);
  // Removes the binding; returns false if there was none.
  bool remove(std::string_view aor, std::string_view uri);

  // The earliest expiry over all bindings.
  std::optional<std::int64_t> nextExpiry() const;
  // Calls `expired(aor, binding)` for each binding with expiresAt <= now, then removes them.
  void expireUntil(std::int64_t now,
                   const std::function<void(std::string_view, const StoredBinding&)>& expired);
  // Same, for one AOR.
  void expireAor(std::string_view aor, std::int64_t now,
                 const std::function<void(std::string_view, const StoredBinding&)>& expired);

  void clear();
  const Map& aors() const noexcept { return aors_; }
  std::size_t bindingCount() const noexcept { return bindingCount_; }
  // Approximate bytes held (nodes, buckets, buffers, index), for sizing and the tests.
  std::size_t memoryEstimate() const;

 private:
  struct IndexLess {
    bool operator()(const std::pair<std::int64_t, const std::string*>& a,
                    const std::pair<std::int64_t, const std::string*>& b) const noexcept {
      if (a.first != b.first) return a.first < b.first;
      return std::less<const std::string*>{}(a.second, b.second);
    }
  };

  // After any change of `it`'s bindings: refresh its index entry, erase it when empty.
  void reindex(Map::iterator it, std::optional<std::int64_t> oldMin);
  void expireIn(Map::iterator it, std::int64_t now,
                const std::function<void(std::string_view, const StoredBinding&)>& expired);

  Map aors_;
  std::set<std::pair<std::int64_t, const std::string*>, IndexLess> expiryIndex_;
  std::size_t bindingCount_ = 0;
};

}  // namespace sipha::registrar
