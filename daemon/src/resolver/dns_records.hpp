#pragma once
// The DNS records RFC 3263 reads, as parsed from an answer (dns_answer.hpp).
#include <cstdint>
#include <string>

namespace sipha::resolver {

// RFC 2782.
struct SrvRecord {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // without the trailing dot; "." (no service) is kept as "."
  std::uint32_t ttl = 0;
};

// RFC 3403 section 4.1.
struct NaptrRecord {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string flags;
  std::string service;
  std::string regexp;
  std::string replacement;  // without the trailing dot
  std::uint32_t ttl = 0;
};

}  // namespace sipha::resolver
