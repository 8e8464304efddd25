#pragma once
// Hand-built DNS messages in wire format (RFC 1035 4.1) for the parser tests and the test DNS
// server: no compression, one question.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sipha::resolver::test {

using Bytes = std::vector<unsigned char>;

inline constexpr std::uint16_t kTypeA = 1;
inline constexpr std::uint16_t kTypeCname = 5;
inline constexpr std::uint16_t kTypeAaaa = 28;
inline constexpr std::uint16_t kTypeSrv = 33;
inline constexpr std::uint16_t kTypeNaptr = 35;

struct WireRecord {
  std::string name;
  std::uint16_t type = kTypeA;
  std::uint32_t ttl = 300;
  Bytes rdata;
};

Bytes encodeName(std::string_view name);
Bytes srvRdata(std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
               std::string_view target);
Bytes naptrRdata(std::uint16_t order, std::uint16_t preference, std::string_view flags,
                 std::string_view service, std::string_view regexp, std::string_view replacement);
Bytes aRdata(std::string_view ipv4);
Bytes aaaaRdata(std::string_view ipv6);

// A response (QR=1, RA=1) with the given id and RCODE, echoing the question.
Bytes buildAnswer(std::uint16_t id, int rcode, std::string_view qname, std::uint16_t qtype,
                  const std::vector<WireRecord>& answers);

// The id, name (lower case, no trailing dot) and type of a query's first question.
bool parseQuestion(std::span<const unsigned char> message, std::uint16_t& id, std::string& qname,
                   std::uint16_t& qtype);

}  // namespace sipha::resolver::test
