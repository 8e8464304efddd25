#pragma once
// One RFC 3263 section 4 resolution of a name, over a DnsBackend, in phases whose queries run in
// parallel: NAPTR (4.1) -> SRV for each choice (4.1/4.2) -> A/AAAA of each SRV target, or of the
// host with the default port when no SRV record exists. A phase ends when all its queries have
// answered, so a finished lookup has no query outstanding. Pure: no socket, no clock.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "resolver/dns_backend.hpp"
#include "resolver/dns_records.hpp"
#include "resolver/naptr_select.hpp"
#include "resolver/next_hop_query.hpp"
#include "resolver/resolve_result.hpp"
#include "resolver/srv_order.hpp"

namespace sipha::resolver {

struct LookupLimits {
  std::size_t maxTargets = 8;  // SRV targets whose addresses are looked up
  std::size_t maxPeers = 16;   // peers in one result
};

class Lookup {
 public:
  // The result and the smallest TTL of the records it was built from (seconds).
  using Done = std::function<void(ResolveResult&& result, std::uint32_t ttl)>;

  Lookup(DnsBackend& backend, NextHopQuery query, LookupLimits limits, const RandomSource& random,
         Done done);
  Lookup(const Lookup&) = delete;
  Lookup& operator=(const Lookup&) = delete;

  // Sends the first queries. `done` runs later, from a backend callback; it may destroy this.
  void start();

  const NextHopQuery& query() const noexcept { return query_; }

 private:
  struct Target {
    transport::TransportKind kind;
    std::string name;
    std::uint16_t port;
    std::size_t answer;  // index into answers_ (one query per distinct name)
  };
  struct SrvAnswer {
    ResolveStatus status = ResolveStatus::Failure;
    std::vector<SrvRecord> records;
    std::uint32_t ttl = 0;
  };

  void startNaptr();
  void onNaptr(ResolveStatus status, std::span<const unsigned char> message);
  void startSrv(std::vector<SrvChoice> choices);
  void onSrv(std::size_t index, ResolveStatus status, std::span<const unsigned char> message);
  void srvDone();
  void startAddresses(std::vector<Target> targets);
  void onAddresses(std::size_t index, AddressAnswer&& answer);
  void addressesDone();
  void noteFailure(ResolveStatus status, std::string what);
  void lowerTtl(std::uint32_t ttl) noexcept;
  void finish(ResolveResult&& result);

  DnsBackend& backend_;
  NextHopQuery query_;
  LookupLimits limits_;
  const RandomSource& random_;
  Done done_;
  std::size_t pending_ = 0;
  std::uint32_t ttl_ = UINT32_MAX;
  // The first failure seen, reported when nothing resolves.
  ResolveStatus failure_ = ResolveStatus::Ok;
  std::string failureWhat_;
  std::vector<SrvChoice> choices_;
  std::vector<SrvAnswer> srvAnswers_;
  std::vector<Target> targets_;
  std::vector<AddressAnswer> answers_;
};

}  // namespace sipha::resolver
