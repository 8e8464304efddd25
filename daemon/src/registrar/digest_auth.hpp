#pragma once
// HTTP Digest authentication for REGISTER (RFC 3261 22.4, RFC 7616, RFC 8760).
// Stateless nonces: nonce = hex(timestamp) + hex(HMAC-SHA256(secret, timestamp || realm))[0..32],
// so the server keeps no per-nonce state; an authentic nonce older than the lifetime is "stale"
// (RFC 7616 3.3, stale=true). Nonce-count replay checks are not done (optional in RFC 7616).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipha::registrar {

enum class DigestAlgorithm : std::uint8_t { Md5, Sha256, Sha512_256 };

// RFC 7616 3.3 / RFC 8760 2: "MD5", "SHA-256", "SHA-512-256".
std::string_view digestAlgorithmName(DigestAlgorithm algorithm) noexcept;
// Case-insensitive; the "-sess" variants are not supported (nullopt).
std::optional<DigestAlgorithm> digestAlgorithmFromName(std::string_view name) noexcept;
// The `authentication-algorithms` option, e.g. "SHA-256,MD5" (order = preference). nullopt when
// empty or a name is unknown.
std::optional<std::vector<DigestAlgorithm>> parseDigestAlgorithmList(std::string_view text);

// The parameters of an Authorization: Digest header, as views into the header text.
struct DigestCredentials {
  std::string_view username, realm, nonce, uri, response, algorithm, cnonce, qop, nc, opaque;
};
// RFC 7616 3.4 / RFC 3261 25.1 (digest-response). Returns false when the header is not a
// syntactically valid Digest credential. Quoted values must not contain escapes (none of the
// fields we use may, in practice); a value with a backslash is refused.
bool parseDigestCredentials(std::string_view header, DigestCredentials& out) noexcept;

struct DigestInput {
  std::string_view username, realm, password, method, uri, nonce, nc, cnonce, qop;
};
// RFC 7616 3.4.1: response = KD(H(A1), nonce:nc:cnonce:qop:H(A2)) when qop is set, else the
// RFC 2069 form H(H(A1):nonce:H(A2)). Lower-case hex.
std::string computeDigestResponse(DigestAlgorithm algorithm, const DigestInput& input);

struct DigestOptions {
  std::string realm;  // `authentication-realm` (the glue defaults it to sip-address)
  // `authentication-algorithms`; MD5 alone by default (docs/configuration.md: interoperability).
  std::vector<DigestAlgorithm> algorithms{DigestAlgorithm::Md5};
  std::uint32_t nonceLifetime = 300;  // seconds
  std::string secret;  // HMAC key; empty -> 32 random bytes (nonces die with the process)
};

enum class DigestVerdict : std::uint8_t {
  Ok,
  Missing,    // no Authorization header
  Malformed,  // not a Digest credential
  WrongUser,  // username is not the AOR user (RFC 3261 10.3 step 4)
  WrongRealm,
  BadNonce,       // not a nonce we issued
  BadAlgorithm,   // not one we offer
  WrongUri,       // digest-uri differs from the Request-URI
  WrongResponse,  // wrong password
  StaleNonce,     // right password, nonce expired: re-challenge with stale=true
};

class DigestAuthenticator {
 public:
  explicit DigestAuthenticator(DigestOptions options);

  std::string makeNonce(std::int64_t now) const;
  enum class NonceState : std::uint8_t { Valid, Stale, Invalid };
  NonceState checkNonce(std::string_view nonce, std::int64_t now) const;

  // WWW-Authenticate values, one per configured algorithm, in preference order.
  std::vector<std::string> challenges(std::int64_t now, bool stale) const;

  DigestVerdict verify(std::string_view authorization, std::string_view expectedUser,
                       std::string_view password, std::string_view method,
                       std::string_view requestUri, std::int64_t now) const;

  const DigestOptions& options() const noexcept { return options_; }
  // The primary's secret on its backup: nonces issued before a switchover stay valid after it.
  void setSecret(std::string secret) {
    if (!secret.empty()) options_.secret = std::move(secret);
  }

 private:
  void nonceMac(std::uint64_t timestamp, unsigned char (&mac)[32]) const;

  DigestOptions options_;
};

}  // namespace sipha::registrar
