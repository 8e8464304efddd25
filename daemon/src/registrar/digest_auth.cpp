#include "registrar/digest_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <memory>

namespace sipha::registrar {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

const EVP_MD* evpFor(DigestAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case DigestAlgorithm::Md5:
      return EVP_md5();
    case DigestAlgorithm::Sha256:
      return EVP_sha256();
    case DigestAlgorithm::Sha512_256:
      return EVP_sha512_256();
  }
  return EVP_sha256();
}

constexpr char kHex[] = "0123456789abcdef";

void appendHex(std::string& out, const unsigned char* data, std::size_t length) {
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xF]);
  }
}

// H(part0 ":" part1 ":" ...) as lower-case hex, hashed piecewise (no concatenation buffer).
template <std::size_t N>
std::string hashJoined(const EVP_MD* md, const std::array<std::string_view, N>& parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  std::string hex;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) return hex;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) EVP_DigestUpdate(ctx.get(), ":", 1);
    EVP_DigestUpdate(ctx.get(), parts[i].data(), parts[i].size());
  }
  if (EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) return hex;
  hex.reserve(2 * length);
  appendHex(hex, digest, length);
  return hex;
}

int hexValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::size_t kTimestampHex = 16;
constexpr std::size_t kMacBytes = 16;  // truncated HMAC-SHA256
constexpr std::size_t kNonceLength = kTimestampHex + 2 * kMacBytes;
constexpr std::int64_t kClockSkew = 5;  // seconds a nonce may come "from the future"

}  // namespace

std::string_view digestAlgorithmName(DigestAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case DigestAlgorithm::Md5:
      return "MD5";
    case DigestAlgorithm::Sha256:
      return "SHA-256";
    case DigestAlgorithm::Sha512_256:
      return "SHA-512-256";
  }
  return "MD5";
}

std::optional<DigestAlgorithm> digestAlgorithmFromName(std::string_view name) noexcept {
  name = trim(name);
  if (iequals(name, "MD5")) return DigestAlgorithm::Md5;
  if (iequals(name, "SHA-256")) return DigestAlgorithm::Sha256;
  if (iequals(name, "SHA-512-256")) return DigestAlgorithm::Sha512_256;
  return std::nullopt;
}

std::optional<std::vector<DigestAlgorithm>> parseDigestAlgorithmList(std::string_view text) {
  std::vector<DigestAlgorithm> list;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto name = text.substr(0, comma);
    const auto algorithm = digestAlgorithmFromName(name);
    if (!algorithm) return std::nullopt;
    bool seen = false;
    for (auto a : list) seen = seen || a == *algorithm;
    if (!seen) list.push_back(*algorithm);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (list.empty()) return std::nullopt;
  return list;
}

bool parseDigestCredentials(std::string_view header, DigestCredentials& out) noexcept {
  out = {};
  header = trim(header);
  if (header.size() < 7 || !iequals(header.substr(0, 6), "Digest") ||
      (header[6] != ' ' && header[6] != '\t')) {
    return false;
  }
  std::string_view rest = header.substr(7);
  while (true) {
    rest = trim(rest);
    if (rest.empty()) break;
    const auto equals = rest.find('=');
    if (equals == std::string_view::npos) return false;
    const auto name = trim(rest.substr(0, equals));
    rest = trim(rest.substr(equals + 1));
    std::string_view value;
    if (!rest.empty() && rest.front() == '"') {
      const auto close = rest.find('"', 1);
      if (close == std::string_view::npos) return false;
      value = rest.substr(1, close - 1);
      if (value.find('\\') != std::string_view::npos) return false;
      rest.remove_prefix(close + 1);
    } else {
      const auto comma = rest.find(',');
      value = trim(rest.substr(0, comma));
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma);
    }
    rest = trim(rest);
    if (!rest.empty()) {
      if (rest.front() != ',') return false;
      rest.remove_prefix(1);
    }
    if (iequals(name, "username"))
      out.username = value;
    else if (iequals(name, "realm"))
      out.realm = value;
    else if (iequals(name, "nonce"))
      out.nonce = value;
    else if (iequals(name, "uri"))
      out.uri = value;
    else if (iequals(name, "response"))
      out.response = value;
    else if (iequals(name, "algorithm"))
      out.algorithm = value;
    else if (iequals(name, "cnonce"))
      out.cnonce = value;
    else if (iequals(name, "qop"))
      out.qop = value;
    else if (iequals(name, "nc"))
      out.nc = value;
    else if (iequals(name, "opaque"))
      out.opaque = value;
    // other auth-params are ignored (RFC 7616 3.4)
  }
  return !out.username.empty() && !out.nonce.empty() && !out.response.empty() && !out.uri.empty();
}

std::string computeDigestResponse(DigestAlgorithm algorithm, const DigestInput& in) {
  const EVP_MD* md = evpFor(algorithm);
  const std::string ha1 = hashJoined<3>(md, {in.username, in.realm, in.password});
  const std::string ha2 = hashJoined<2>(md, {in.method, in.uri});
  if (in.qop.empty()) return hashJoined<3>(md, {ha1, in.nonce, ha2});
  return hashJoined<6>(md, {ha1, in.nonce, in.nc, in.cnonce, in.qop, ha2});
}

DigestAuthenticator::DigestAuthenticator(DigestOptions options) : options_(std::move(options)) {
  if (options_.algorithms.empty()) options_.algorithms = {DigestAlgorithm::Sha256};
  if (options_.secret.empty()) {
    unsigned char key[32];
    if (RAND_bytes(key, sizeof key) != 1) std::abort();  // no entropy: impossible state
    options_.secret.assign(reinterpret_cast<const char*>(key), sizeof key);
  }
}

void DigestAuthenticator::nonceMac(std::uint64_t timestamp, unsigned char (&mac)[32]) const {
  unsigned char data[8];
  for (int i = 0; i < 8; ++i) data[i] = static_cast<unsigned char>(timestamp >> (56 - 8 * i));
  // HMAC over timestamp || realm, so a nonce of one realm is useless in another.
  std::string message(reinterpret_cast<const char*>(data), sizeof data);
  message.append(options_.realm);
  unsigned int length = 0;
  HMAC(EVP_sha256(), options_.secret.data(), static_cast<int>(options_.secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
}

std::string DigestAuthenticator::makeNonce(std::int64_t now) const {
  const auto timestamp = static_cast<std::uint64_t>(now);
  std::string nonce;
  nonce.reserve(kNonceLength);
  for (int shift = 60; shift >= 0; shift -= 4) nonce.push_back(kHex[(timestamp >> shift) & 0xF]);
  unsigned char mac[32];
  nonceMac(timestamp, mac);
  appendHex(nonce, mac, kMacBytes);
  return nonce;
}

DigestAuthenticator::NonceState DigestAuthenticator::checkNonce(std::string_view nonce,
                                                                std::int64_t now) const {
  if (nonce.size() != kNonceLength) return NonceState::Invalid;
  std::uint64_t timestamp = 0;
  for (std::size_t i = 0; i < kTimestampHex; ++i) {
    const int v = hexValue(nonce[i]);
    if (v < 0) return NonceState::Invalid;
    timestamp = (timestamp << 4) | static_cast<std::uint64_t>(v);
  }
  unsigned char mac[32];
  nonceMac(timestamp, mac);
  std::string expected;
  expected.reserve(2 * kMacBytes);
  appendHex(expected, mac, kMacBytes);
  if (CRYPTO_memcmp(expected.data(), nonce.data() + kTimestampHex, expected.size()) != 0) {
    return NonceState::Invalid;
  }
  const auto issued = static_cast<std::int64_t>(timestamp);
  if (issued > now + kClockSkew) return NonceState::Invalid;
  if (now - issued > static_cast<std::int64_t>(options_.nonceLifetime)) return NonceState::Stale;
  return NonceState::Valid;
}

std::vector<std::string> DigestAuthenticator::challenges(std::int64_t now, bool stale) const {
  const std::string nonce = makeNonce(now);
  std::vector<std::string> values;
  values.reserve(options_.algorithms.size());
  for (auto algorithm : options_.algorithms) {
    std::string value = "Digest realm=\"";
    value.append(options_.realm);
    value.append("\", nonce=\"");
    value.append(nonce);
    value.append("\", algorithm=");
    value.append(digestAlgorithmName(algorithm));
    value.append(", qop=\"auth\"");
    if (stale) value.append(", stale=true");
    values.push_back(std::move(value));
  }
  return values;
}

DigestVerdict DigestAuthenticator::verify(std::string_view authorization,
                                          std::string_view expectedUser, std::string_view password,
                                          std::string_view method, std::string_view requestUri,
                                          std::int64_t now) const {
  if (trim(authorization).empty()) return DigestVerdict::Missing;
  DigestCredentials credentials;
  if (!parseDigestCredentials(authorization, credentials)) return DigestVerdict::Malformed;
  if (credentials.username != expectedUser) return DigestVerdict::WrongUser;
  if (credentials.realm != options_.realm) return DigestVerdict::WrongRealm;
  const NonceState nonceState = checkNonce(credentials.nonce, now);
  if (nonceState == NonceState::Invalid) return DigestVerdict::BadNonce;
  // RFC 7616 3.4: no algorithm parameter means MD5.
  const auto algorithm = credentials.algorithm.empty()
                             ? std::optional<DigestAlgorithm>(DigestAlgorithm::Md5)
                             : digestAlgorithmFromName(credentials.algorithm);
  bool offered = false;
  for (auto a : options_.algorithms) offered = offered || (algorithm && a == *algorithm);
  if (!offered) return DigestVerdict::BadAlgorithm;
  if (credentials.uri != requestUri) return DigestVerdict::WrongUri;
  if (!credentials.qop.empty() &&
      (!iequals(credentials.qop, "auth") || credentials.cnonce.empty() || credentials.nc.empty())) {
    return DigestVerdict::Malformed;
  }
  const std::string expected = computeDigestResponse(
      *algorithm, {credentials.username, credentials.realm, password, method, credentials.uri,
                   credentials.nonce, credentials.nc, credentials.cnonce, credentials.qop});
  if (expected.size() != credentials.response.size()) return DigestVerdict::WrongResponse;
  // Compare case-insensitively in constant time (hex may come upper-case).
  unsigned char diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    char c = credentials.response[i];
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    diff |= static_cast<unsigned char>(c ^ expected[i]);
  }
  if (diff != 0) return DigestVerdict::WrongResponse;
  return nonceState == NonceState::Stale ? DigestVerdict::StaleNonce : DigestVerdict::Ok;
}

}  // namespace sipha::registrar
