#pragma once
// Transaction matching keys (RFC 3261 17.1.3, 17.2.3, 8.2.2.2) as views, their seeded hashes,
// and the per-transaction storage that owns the bytes the stored keys view.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sip/method.hpp"
#include "transaction/messages.hpp"

namespace sipha::transaction {

// Seeded with a random value per layer so a peer cannot aim branches at one hash bucket.
std::uint64_t hashBytes(std::uint64_t seed, std::string_view bytes) noexcept;
std::uint64_t hashBytesNoCase(std::uint64_t seed, std::string_view bytes) noexcept;
bool equalNoCase(std::string_view a, std::string_view b) noexcept;

// 17.2.3: an ACK matches the INVITE transaction; every other method (CANCEL included) matches a
// transaction of its own method.
constexpr sip::Method serverKeyMethod(sip::Method method) noexcept {
  return method == sip::Method::Ack ? sip::Method::Invite : method;
}

// Server transaction key, 17.2.3. RFC 3261 requests: branch + sent-by + method (never branch
// alone). RFC 2543 requests (no magic cookie): Request-URI, From tag, Call-ID, CSeq number, top
// Via and method; the To tag is compared separately (it differs for the ACK).
struct ServerKey {
  bool rfc3261 = true;
  sip::Method method = sip::Method::Unknown;
  std::string_view branch;
  std::string_view sentBy;  // hosts compare case-insensitively
  std::string_view requestUri;
  std::string_view fromTag;
  std::string_view callId;
  std::string_view topVia;
  std::uint32_t cseq = 0;

  static ServerKey of(const IncomingRequest& request, sip::Method method) noexcept;
  std::uint64_t hash(std::uint64_t seed) const noexcept;
  bool operator==(const ServerKey& other) const noexcept;
};

// 8.2.2.2 merged-request detection: From tag, Call-ID and CSeq of a request without To tag.
struct MergeKey {
  std::string_view fromTag;
  std::string_view callId;
  std::uint32_t cseq = 0;
  sip::Method cseqMethod = sip::Method::Unknown;

  std::uint64_t hash(std::uint64_t seed) const noexcept;
  bool operator==(const MergeKey& other) const noexcept = default;
};

// Client transaction key, 17.1.3: top Via branch + CSeq method.
struct ClientKey {
  std::string_view branch;
  sip::Method method = sip::Method::Unknown;

  std::uint64_t hash(std::uint64_t seed) const noexcept;
  bool operator==(const ClientKey& other) const noexcept = default;
};

// Owns copies of key fields inside the transaction object (heap only for unusually long keys),
// so stored keys are views that need no allocation of their own in the common case.
class KeyStorage {
 public:
  static constexpr std::size_t kInlineCapacity = 160;

  KeyStorage() noexcept = default;
  KeyStorage(const KeyStorage&) = delete;
  KeyStorage& operator=(const KeyStorage&) = delete;

  // Call once with the total size of everything that will be copied in.
  void reserve(std::size_t total);
  std::string_view copy(std::string_view bytes) noexcept;

 private:
  char inline_[kInlineCapacity];
  std::unique_ptr<char[]> heap_;
  char* data_ = inline_;
  std::size_t capacity_ = kInlineCapacity;
  std::size_t used_ = 0;
};

}  // namespace sipha::transaction
