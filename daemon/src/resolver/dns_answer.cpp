#include "resolver/dns_answer.hpp"

#include <arpa/nameser.h>
#include <resolv.h>

#include <string>

namespace sipha::resolver {
namespace {

// Reads a 16-bit big-endian value at `at` when it fits before `end`.
bool read16(const unsigned char*& at, const unsigned char* end, std::uint16_t& value) {
  if (end - at < 2) return false;
  value = static_cast<std::uint16_t>((at[0] << 8) | at[1]);
  at += 2;
  return true;
}

// A <character-string> (RFC 1035 3.3): one length octet and that many octets.
bool readCharString(const unsigned char*& at, const unsigned char* end, std::string& out) {
  if (at >= end) return false;
  const std::size_t length = *at++;
  if (static_cast<std::size_t>(end - at) < length) return false;
  out.assign(reinterpret_cast<const char*>(at), length);
  at += length;
  return true;
}

// A domain name in rdata; compression pointers are followed within the whole message (dn_expand
// checks them against its bounds), but the name must start inside the rdata.
bool readName(const ns_msg& handle, const unsigned char*& at, const unsigned char* end,
              std::string& out) {
  if (at >= end) return false;
  char name[NS_MAXDNAME];
  const int used = dn_expand(ns_msg_base(handle), ns_msg_end(handle), at, name, sizeof name);
  if (used <= 0 || used > end - at) return false;
  at += used;
  out = name;
  if (out.empty()) out = ".";  // the root: "no service" for SRV, nothing for NAPTR
  return true;
}

// The RCODE and the walk over the answer section shared by both record types. `parse` reads one
// record's rdata and returns false when it is malformed.
template <typename Record, typename Parse>
ResolveStatus parseAnswer(std::span<const unsigned char> message, ns_type type,
                          std::vector<Record>& out, std::uint32_t& ttl, Parse parse) {
  out.clear();
  ttl = 0;
  ns_msg handle;
  if (message.empty() || message.size() > 65535 ||
      ns_initparse(message.data(), static_cast<int>(message.size()), &handle) != 0) {
    return ResolveStatus::Malformed;
  }
  switch (ns_msg_getflag(handle, ns_f_rcode)) {
    case ns_r_noerror:
      break;
    case ns_r_nxdomain:
      return ResolveStatus::NxDomain;
    case ns_r_servfail:
      return ResolveStatus::ServerFailure;
    case ns_r_refused:
      return ResolveStatus::Refused;
    default:
      return ResolveStatus::Failure;
  }
  const int count = ns_msg_count(handle, ns_s_an);
  for (int i = 0; i < count && out.size() < kMaxAnswerRecords; ++i) {
    ns_rr rr;
    if (ns_parserr(&handle, ns_s_an, i, &rr) != 0) return ResolveStatus::Malformed;
    if (ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in) continue;
    const unsigned char* at = ns_rr_rdata(rr);
    const unsigned char* end = at + ns_rr_rdlen(rr);
    if (at < ns_msg_base(handle) || end > ns_msg_end(handle)) return ResolveStatus::Malformed;
    Record record;
    if (!parse(handle, at, end, record) || at != end) return ResolveStatus::Malformed;
    record.ttl = ns_rr_ttl(rr);
    ttl = out.empty() ? record.ttl : std::min(ttl, record.ttl);
    out.push_back(std::move(record));
  }
  return out.empty() ? ResolveStatus::NoRecords : ResolveStatus::Ok;
}

}  // namespace

ResolveStatus parseSrvAnswer(std::span<const unsigned char> message, std::vector<SrvRecord>& out,
                             std::uint32_t& ttl) {
  // RFC 2782: Priority, Weight, Port (16 bits each), Target.
  return parseAnswer(message, ns_t_srv, out, ttl,
                     [](const ns_msg& handle, const unsigned char*& at, const unsigned char* end,
                        SrvRecord& record) {
                       return read16(at, end, record.priority) && read16(at, end, record.weight) &&
                              read16(at, end, record.port) &&
                              readName(handle, at, end, record.target);
                     });
}

ResolveStatus parseNaptrAnswer(std::span<const unsigned char> message,
                               std::vector<NaptrRecord>& out, std::uint32_t& ttl) {
  // RFC 3403 4.1: ORDER, PREFERENCE, FLAGS, SERVICES, REGEXP, REPLACEMENT.
  return parseAnswer(message, ns_t_naptr, out, ttl,
                     [](const ns_msg& handle, const unsigned char*& at, const unsigned char* end,
                        NaptrRecord& record) {
                       return read16(at, end, record.order) && read16(at, end, record.preference) &&
                              readCharString(at, end, record.flags) &&
                              readCharString(at, end, record.service) &&
                              readCharString(at, end, record.regexp) &&
                              readName(handle, at, end, record.replacement);
                     });
}

}  // namespace sipha::resolver
