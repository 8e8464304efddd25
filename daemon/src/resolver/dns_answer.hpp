#pragma once
// Parsing of DNS answers in wire format (RFC 1035 4.1) as res_query / ares_query return them,
// with glibc's ns_initparse / ns_parserr (libresolv) doing the bounds-checked walk of the message
// and dn_expand the names. Untrusted input: every record and rdata length is checked against the
// message; a malformed answer is a Malformed status, never a crash. Records of other types in the
// answer section (CNAME ...) are skipped; at most kMaxAnswerRecords records are read.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "resolver/dns_records.hpp"
#include "resolver/resolve_result.hpp"

namespace sipha::resolver {

inline constexpr std::size_t kMaxAnswerRecords = 32;

// Ok with at least one record, NoRecords for NOERROR without one, NxDomain, ServerFailure,
// Refused or Failure from the RCODE, Malformed when the message or a record does not parse.
// `ttl` receives the smallest TTL of the records returned.
ResolveStatus parseSrvAnswer(std::span<const unsigned char> message, std::vector<SrvRecord>& out,
                             std::uint32_t& ttl);
ResolveStatus parseNaptrAnswer(std::span<const unsigned char> message,
                               std::vector<NaptrRecord>& out, std::uint32_t& ttl);

}  // namespace sipha::resolver
