#pragma once
// RFC 3263 4.1: which NAPTR records of a SIP domain to use and in which order.
#include <string>
#include <vector>

#include "resolver/dns_records.hpp"
#include "transport/peer.hpp"

namespace sipha::resolver {

// One SRV lookup to make: the SRV name and the transport its targets are reached with.
struct SrvChoice {
  transport::TransportKind kind = transport::TransportKind::Udp;
  std::string name;  // "_sip._udp.example.com" or a NAPTR replacement

  friend bool operator==(const SrvChoice&, const SrvChoice&) = default;
};

inline constexpr std::size_t kMaxNaptrChoices = 8;

// Keeps the records sipd can use: flags "S" (the next lookup is SRV), an empty regexp, a
// replacement, and a service SIP+D2U, SIP+D2T or SIPS+D2T (RFC 3263 4.1, table of services);
// for a sips URI only SIPS+D2T. Ordered by ORDER then PREFERENCE (RFC 3403 4.1), duplicates
// dropped, at most kMaxNaptrChoices.
std::vector<SrvChoice> selectNaptr(std::vector<NaptrRecord> records, bool secure);

// RFC 3263 4.1 without NAPTR records: "_sips._tcp." only for sips; otherwise sipd's preference
// UDP, TCP, then TLS ("_sip._udp.", "_sip._tcp.", "_sips._tcp.").
std::vector<SrvChoice> srvFallbackChoices(const std::string& host, bool secure);

// RFC 3263 4.2 with a transport parameter: "_sip._udp.", "_sip._tcp." or "_sips._tcp." + host.
SrvChoice srvChoiceFor(transport::TransportKind kind, const std::string& host);

}  // namespace sipha::resolver
