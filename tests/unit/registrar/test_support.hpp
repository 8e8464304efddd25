#pragma once
// Shared helpers of the registrar tests: a configuration with a few Extensions, and requests.
#include <map>
#include <ostream>
#include <string>
#include <string_view>

#include "registrar/registrar.hpp"

namespace sipha::registrar {
inline std::ostream& operator<<(std::ostream& os, EventKind kind) {
  return os << static_cast<int>(kind);
}
}  // namespace sipha::registrar

namespace sipha::registrar::test {

constexpr std::int64_t kT0 = 1'800'000'000;  // a fixed "now"

// Concatenation without `"literal" + std::string` (g++ 12 -O3 raises a false -Wrestrict there).
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string text;
  (text.append(std::string_view(parts)), ...);
  return text;
}

inline ExtensionLookup extensions() {
  // 1001, 1002: plain Extensions; 2001: Extension with a password.
  return [](std::string_view user) -> ExtensionInfo {
    if (user == "1001" || user == "1002") return {true, {}};
    if (user == "2001") return {true, "s3cret"};
    return {false, {}};
  };
}

inline DigestOptions digestOptions() {
  DigestOptions options;
  options.realm = "sip.example.com";
  options.secret = "0123456789abcdef0123456789abcdef";
  options.algorithms = {DigestAlgorithm::Sha256, DigestAlgorithm::Md5};  // both, SHA-256 first
  return options;
}

inline RegisterRequest request(std::string_view user, std::string_view callId, std::uint32_t cseq) {
  RegisterRequest r;
  r.aorUser = user;
  r.aorHost = "sip.example.com";
  r.callId = callId;
  r.cseq = cseq;
  r.requestUri = "sip:sip.example.com";
  r.source = "udp:192.0.2.10:5060";
  return r;
}

inline ContactSpec contact(std::string_view uri, std::optional<std::uint32_t> expires = {},
                           std::optional<std::uint16_t> q = {}) {
  return ContactSpec{uri, expires, q, {}};
}

}  // namespace sipha::registrar::test
