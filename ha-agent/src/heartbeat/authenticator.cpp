#include "heartbeat/authenticator.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

namespace sipha::agent::heartbeat {

namespace {

struct MacFree {
  void operator()(EVP_MAC* mac) const noexcept { EVP_MAC_free(mac); }
};

}  // namespace

void Authenticator::CtxFree::operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }

Authenticator::Authenticator(const PairKey& key) {
  const std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
  if (!mac) return;
  std::unique_ptr<EVP_MAC_CTX, CtxFree> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) return;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  const std::span<const std::uint8_t> bytes = key.bytes();
  if (EVP_MAC_init(ctx.get(), bytes.data(), bytes.size(), params) != 1) return;
  if (EVP_MAC_CTX_get_mac_size(ctx.get()) != kTagBytes) return;
  ctx_ = std::move(ctx);
}

Authenticator::Authenticator(Authenticator&&) noexcept = default;
Authenticator& Authenticator::operator=(Authenticator&&) noexcept = default;
Authenticator::~Authenticator() = default;

bool Authenticator::sign(std::span<const std::uint8_t> message, Tag& out) noexcept {
  if (!ctx_) return false;
  // No key: HMAC starts over with the key set at construction.
  std::size_t length = 0;
  if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx_.get(), message.data(), message.size()) != 1 ||
      EVP_MAC_final(ctx_.get(), out.data(), &length, out.size()) != 1 || length != kTagBytes) {
    OPENSSL_cleanse(out.data(), out.size());
    return false;
  }
  return true;
}

bool Authenticator::verify(std::span<const std::uint8_t> message,
                           std::span<const std::uint8_t> tag) noexcept {
  if (tag.size() != kTagBytes) return false;
  Tag expected;
  if (!sign(message, expected)) return false;
  return CRYPTO_memcmp(expected.data(), tag.data(), kTagBytes) == 0;
}

}  // namespace sipha::agent::heartbeat
