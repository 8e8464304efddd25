#include "transaction/keys.hpp"

#include <cstring>

namespace sipha::transaction {
namespace {

constexpr std::uint64_t kMul1 = 0x9e3779b97f4a7c15ull;
constexpr std::uint64_t kMul2 = 0xbf58476d1ce4e5b9ull;

inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

inline unsigned char lower(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c + ('a' - 'A')) : c;
}

template <bool kNoCase>
std::uint64_t hashImpl(std::uint64_t seed, std::string_view bytes) noexcept {
  std::uint64_t state = mix(seed ^ bytes.size(), kMul1);
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    unsigned char chunk[8] = {};
    const std::size_t length = std::min<std::size_t>(8, bytes.size() - offset);
    std::memcpy(chunk, bytes.data() + offset, length);
    if constexpr (kNoCase) {
      for (auto& c : chunk) c = lower(c);
    }
    std::uint64_t word;
    std::memcpy(&word, chunk, sizeof word);
    state = mix(state ^ word, kMul2);
    offset += length;
  }
  return mix(state, kMul1);
}

inline std::uint64_t combine(std::uint64_t a, std::uint64_t b) noexcept {
  return mix(a ^ kMul2, b ^ kMul1);
}

}  // namespace

std::uint64_t hashBytes(std::uint64_t seed, std::string_view bytes) noexcept {
  return hashImpl<false>(seed, bytes);
}

std::uint64_t hashBytesNoCase(std::uint64_t seed, std::string_view bytes) noexcept {
  return hashImpl<true>(seed, bytes);
}

bool equalNoCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

ServerKey ServerKey::of(const IncomingRequest& request, sip::Method method) noexcept {
  ServerKey key;
  key.method = method;
  key.rfc3261 = isRfc3261Branch(request.branch);
  if (key.rfc3261) {
    key.branch = request.branch;
    key.sentBy = request.sentBy;
  } else {
    key.requestUri = request.requestUri;
    key.fromTag = request.fromTag;
    key.callId = request.callId;
    key.topVia = request.topVia;
    key.cseq = request.cseq;
  }
  return key;
}

std::uint64_t ServerKey::hash(std::uint64_t seed) const noexcept {
  const std::uint64_t base = seed + static_cast<std::uint64_t>(method);
  if (rfc3261) {
    return combine(hashBytes(base, branch), hashBytesNoCase(seed, sentBy));
  }
  std::uint64_t h = combine(hashBytes(base, requestUri), hashBytes(seed, fromTag));
  h = combine(h, hashBytes(seed, callId));
  h = combine(h, hashBytes(seed, topVia));
  return combine(h, cseq);
}

bool ServerKey::operator==(const ServerKey& other) const noexcept {
  if (rfc3261 != other.rfc3261 || method != other.method) return false;
  if (rfc3261) return branch == other.branch && equalNoCase(sentBy, other.sentBy);
  return cseq == other.cseq && callId == other.callId && fromTag == other.fromTag &&
         requestUri == other.requestUri && topVia == other.topVia;
}

std::uint64_t MergeKey::hash(std::uint64_t seed) const noexcept {
  const std::uint64_t h = combine(hashBytes(seed, fromTag), hashBytes(seed, callId));
  return combine(h, (std::uint64_t{cseq} << 8) | static_cast<std::uint64_t>(cseqMethod));
}

std::uint64_t ClientKey::hash(std::uint64_t seed) const noexcept {
  return hashBytes(seed + static_cast<std::uint64_t>(method), branch);
}

void KeyStorage::reserve(std::size_t total) {
  if (total > kInlineCapacity) {
    heap_ = std::make_unique<char[]>(total);
    data_ = heap_.get();
    capacity_ = total;
  }
  used_ = 0;
}

std::string_view KeyStorage::copy(std::string_view bytes) noexcept {
  if (bytes.empty() || bytes.size() > capacity_ - used_) return {};
  char* target = data_ + used_;
  std::memcpy(target, bytes.data(), bytes.size());
  used_ += bytes.size();
  return {target, bytes.size()};
}

}  // namespace sipha::transaction
