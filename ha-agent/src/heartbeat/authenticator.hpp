#pragma once
// HMAC-SHA256 of a heartbeat body under the pair key (docs/heartbeat.md, "Authentication"). The
// full 32-byte tag follows the body on the wire; verification compares in constant time
// (CRYPTO_memcmp). The key is copied into OpenSSL's MAC context (wiped by OpenSSL when freed);
// the PairKey it came from may be destroyed once the Authenticator is made.
//
// One Authenticator per thread: sign() and verify() reuse one MAC context.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include <openssl/types.h>

#include "heartbeat/pair_key.hpp"

namespace sipha::agent::heartbeat {

inline constexpr std::size_t kTagBytes = 32;
using Tag = std::array<std::uint8_t, kTagBytes>;

class Authenticator {
 public:
  // Never throws; ok() is false when OpenSSL could not set up HMAC-SHA256 (then sign() fails and
  // verify() refuses everything). The agent checks ok() at start.
  explicit Authenticator(const PairKey& key);
  Authenticator(Authenticator&&) noexcept;
  Authenticator& operator=(Authenticator&&) noexcept;
  ~Authenticator();

  bool ok() const noexcept { return ctx_ != nullptr; }

  // The tag of `message`; false when OpenSSL fails.
  bool sign(std::span<const std::uint8_t> message, Tag& out) noexcept;

  // `tag` is exactly kTagBytes and the tag of `message`.
  bool verify(std::span<const std::uint8_t> message, std::span<const std::uint8_t> tag) noexcept;

 private:
  struct CtxFree {
    void operator()(EVP_MAC_CTX* ctx) const noexcept;
  };
  std::unique_ptr<EVP_MAC_CTX, CtxFree> ctx_;
};

}  // namespace sipha::agent::heartbeat
