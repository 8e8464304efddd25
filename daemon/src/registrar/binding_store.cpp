#include "registrar/binding_store.hpp"

#include <algorithm>
#include <cstdlib>

namespace sipha::registrar {
namespace {

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Splits "scheme:user@rest" into scheme, user (may be empty), rest.
struct UriParts {
  std::string_view scheme, user, rest;
};

UriParts split(std::string_view uri) noexcept {
  UriParts parts;
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos) {
    parts.rest = uri;
    return parts;
  }
  parts.scheme = uri.substr(0, colon);
  std::string_view tail = uri.substr(colon + 1);
  const auto at = tail.find('@');
  const auto delimiter = tail.find_first_of(";?");
  if (at != std::string_view::npos && (delimiter == std::string_view::npos || at < delimiter)) {
    parts.user = tail.substr(0, at);
    parts.rest = tail.substr(at + 1);
  } else {
    parts.rest = tail;
  }
  return parts;
}

}  // namespace

StoredBinding::StoredBinding(std::string_view uri, std::string_view callId, std::string_view params,
                             std::string_view source, std::uint32_t cseq, std::int64_t expiresAt,
                             std::optional<std::uint16_t> q)
    : expiresAt_(expiresAt),
      cseq_(cseq),
      uriLength_(static_cast<std::uint16_t>(uri.size())),
      callIdLength_(0),
      paramsLength_(0),
      q_(kNoQ) {
  text_.reserve(uri.size() + callId.size() + params.size() + source.size());
  text_.append(uri);
  update(callId, params, source, cseq, expiresAt, q);
}

void StoredBinding::update(std::string_view callId, std::string_view params,
                           std::string_view source, std::uint32_t cseq, std::int64_t expiresAt,
                           std::optional<std::uint16_t> q) {
  // Only rewrite the tail when it changed, to keep refreshes allocation-free.
  if (this->callId() != callId || this->params() != params || this->source() != source) {
    text_.resize(uriLength_);
    text_.append(callId);
    text_.append(params);
    text_.append(source);
    callIdLength_ = static_cast<std::uint16_t>(callId.size());
    paramsLength_ = static_cast<std::uint16_t>(params.size());
  }
  cseq_ = cseq;
  expiresAt_ = expiresAt;
  q_ = q ? *q : kNoQ;
}

bool contactUriEqual(std::string_view a, std::string_view b) noexcept {
  const UriParts x = split(a);
  const UriParts y = split(b);
  return iequals(x.scheme, y.scheme) && x.user == y.user && iequals(x.rest, y.rest);
}

const AorRecord* BindingStore::find(std::string_view aor) const {
  const auto it = aors_.find(aor);
  return it == aors_.end() ? nullptr : &it->second;
}

AorRecord* BindingStore::find(std::string_view aor) {
  const auto it = aors_.find(aor);
  return it == aors_.end() ? nullptr : &it->second;
}

const StoredBinding* BindingStore::findBinding(std::string_view aor, std::string_view uri) const {
  const AorRecord* record = find(aor);
  if (!record) return nullptr;
  for (const auto& binding : record->bindings) {
    if (contactUriEqual(binding.uri(), uri)) return &binding;
  }
  return nullptr;
}

std::pair<const StoredBinding*, bool> BindingStore::upsert(
    std::string_view aor, std::string_view uri, std::string_view callId, std::string_view params,
    std::string_view source, std::uint32_t cseq, std::int64_t expiresAt,
    std::optional<std::uint16_t> q) {
  auto it = aors_.find(aor);
  if (it == aors_.end()) it = aors_.emplace(std::string(aor), AorRecord{}).first;
  AorRecord& record = it->second;
  const std::optional<std::int64_t> oldMin =
      record.bindings.empty() ? std::nullopt : std::optional<std::int64_t>(record.minExpiry);
  for (auto& binding : record.bindings) {
    if (contactUriEqual(binding.uri(), uri)) {
      binding.update(callId, params, source, cseq, expiresAt, q);
      reindex(it, oldMin);
      return {&binding, false};
    }
  }
  const StoredBinding& added =
      record.bindings.emplace_back(uri, callId, params, source, cseq, expiresAt, q);
  ++bindingCount_;
  reindex(it, oldMin);
  return {&added, true};
}

bool BindingStore::remove(std::string_view aor, std::string_view uri) {
  auto it = aors_.find(aor);
  if (it == aors_.end()) return false;
  auto& bindings = it->second.bindings;
  const auto found = std::find_if(bindings.begin(), bindings.end(), [&](const auto& binding) {
    return contactUriEqual(binding.uri(), uri);
  });
  if (found == bindings.end()) return false;
  const std::optional<std::int64_t> oldMin = it->second.minExpiry;
  bindings.erase(found);
  --bindingCount_;
  reindex(it, oldMin);
  return true;
}

void BindingStore::reindex(Map::iterator it, std::optional<std::int64_t> oldMin) {
  AorRecord& record = it->second;
  const std::string* key = &it->first;
  if (oldMin) expiryIndex_.erase({*oldMin, key});
  if (record.bindings.empty()) {
    aors_.erase(it);
    return;
  }
  std::int64_t minimum = record.bindings.front().expiresAt();
  for (const auto& binding : record.bindings) minimum = std::min(minimum, binding.expiresAt());
  record.minExpiry = minimum;
  expiryIndex_.insert({minimum, key});
}

std::optional<std::int64_t> BindingStore::nextExpiry() const {
  if (expiryIndex_.empty()) return std::nullopt;
  return expiryIndex_.begin()->first;
}

void BindingStore::expireIn(
    Map::iterator it, std::int64_t now,
    const std::function<void(std::string_view, const StoredBinding&)>& expired) {
  auto& bindings = it->second.bindings;
  const std::optional<std::int64_t> oldMin = it->second.minExpiry;
  const auto firstExpired =
      std::stable_partition(bindings.begin(), bindings.end(),
                            [now](const StoredBinding& b) { return b.expiresAt() > now; });
  for (auto b = firstExpired; b != bindings.end(); ++b) expired(it->first, *b);
  bindingCount_ -= static_cast<std::size_t>(bindings.end() - firstExpired);
  bindings.erase(firstExpired, bindings.end());
  reindex(it, oldMin);
}

void BindingStore::expireUntil(
    std::int64_t now, const std::function<void(std::string_view, const StoredBinding&)>& expired) {
  while (!expiryIndex_.empty() && expiryIndex_.begin()->first <= now) {
    const std::string* key = expiryIndex_.begin()->second;
    expireIn(aors_.find(*key), now, expired);
  }
}

void BindingStore::expireAor(
    std::string_view aor, std::int64_t now,
    const std::function<void(std::string_view, const StoredBinding&)>& expired) {
  auto it = aors_.find(aor);
  if (it == aors_.end() || it->second.minExpiry > now) return;
  expireIn(it, now, expired);
}

void BindingStore::clear() {
  expiryIndex_.clear();
  aors_.clear();
  bindingCount_ = 0;
}

std::size_t BindingStore::memoryEstimate() const {
  // libstdc++: hash node = next pointer + value + cached hash; set node = 4 words + value;
  // plus malloc's 16-byte header per allocation.
  constexpr std::size_t kMalloc = 16;
  std::size_t bytes = aors_.bucket_count() * sizeof(void*);
  for (const auto& [key, record] : aors_) {
    bytes += sizeof(void*) + sizeof(Map::value_type) + sizeof(std::size_t) + kMalloc;
    if (key.capacity() > 15) bytes += key.capacity() + 1 + kMalloc;
    bytes += record.bindings.capacity() * sizeof(StoredBinding) + kMalloc;
    for (const auto& binding : record.bindings) {
      if (binding.heapBytes() > 0) bytes += binding.heapBytes() + 1 + kMalloc;
    }
  }
  bytes += expiryIndex_.size() * (4 * sizeof(void*) + 16 + kMalloc);
  return bytes;
}

}  // namespace sipha::registrar
