#pragma once
// Next-hop resolution for sipd (RFC 3263 section 4), asynchronous on the sd-event loop:
// numeric hosts answer at once, names go through a cache (TTL-bounded, negative answers too) and
// one shared lookup per name in flight, however many calls wait for it. Callbacks always run from
// the event loop, never inside resolve(); a cancelled request gets no callback.
#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/dns_backend.hpp"
#include "resolver/lookup.hpp"
#include "resolver/next_hop_query.hpp"
#include "resolver/resolve_cache.hpp"
#include "resolver/resolve_result.hpp"
#include "resolver/srv_order.hpp"
#include "timer/clock.hpp"

namespace sipha::resolver {

struct ResolverSettings {
  std::size_t cacheCapacity = 4096;
  std::chrono::seconds minTtl{5};        // floor: a TTL of 0 would mean a lookup per call
  std::chrono::seconds maxTtl{3600};     // ceiling
  std::chrono::seconds negativeTtl{30};  // NXDOMAIN / no records (RFC 2308 5, kept short)
  std::chrono::seconds failureTtl{5};    // timeout, SERVFAIL ... (RFC 2308 7.1 allows up to 5 min)
  std::size_t maxInFlight = 1024;        // distinct names being resolved at once
  std::size_t maxWaiters = 65536;        // requests waiting (calls, probes)
  LookupLimits limits;
  // c-ares (CaresBackend): per-try timeout and tries per server; servers "" = /etc/resolv.conf,
  // else "ip[:port],..." (tests point it at their own DNS server).
  int timeoutMs = 1500;
  int tries = 2;
  std::string servers;
};

struct ResolverCounters {
  std::uint64_t requests = 0;   // resolve() calls
  std::uint64_t literal = 0;    // numeric hosts (no lookup)
  std::uint64_t cacheHits = 0;  // answered from the cache (resolve and tryCached)
  std::uint64_t lookups = 0;    // lookups started (cache misses not joining one in flight)
  std::uint64_t joined = 0;     // requests that joined a lookup in flight
  std::uint64_t failed = 0;     // lookups that ended with an error
  std::uint64_t cancelled = 0;
  std::uint64_t overloaded = 0;
};

using ResolveHandle = std::uint64_t;  // 0: none
inline constexpr ResolveHandle kNoHandle = 0;

class Resolver {
 public:
  using Callback = std::function<void(const ResolveResult&)>;

  // `backend` may be null (no resolver available): every name then fails with Failure.
  Resolver(sd_event* event, const timer::Clock& clock, ResolverSettings settings,
           std::unique_ptr<DnsBackend> backend, RandomSource random = defaultRandomSource());
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  ~Resolver();

  // Starts resolving (or joins the lookup in flight for the same query) and returns the handle
  // to cancel it. `done` runs once, from the event loop, unless cancelled.
  ResolveHandle resolve(const NextHopQuery& query, Callback done);
  void cancel(ResolveHandle handle) noexcept;
  // Numeric hosts and live cache entries (positive or negative), synchronously; false otherwise.
  bool tryCached(const NextHopQuery& query, ResolveResult& result);

  void flushCache() { cache_.clear(); }
  std::size_t inFlight() const noexcept { return inFlight_.size(); }
  std::size_t waiting() const noexcept { return waiters_.size(); }
  std::size_t cacheSize() const noexcept { return cache_.size(); }
  const ResolverCounters& counters() const noexcept { return counters_; }

 private:
  struct Waiter {
    std::string key;  // empty: an immediate answer queued in ready_
    Callback done;
  };
  struct InFlight {
    std::unique_ptr<Lookup> lookup;
    std::vector<ResolveHandle> waiters;
  };

  ResolveHandle enqueueReady(ResolveResult result, Callback done);
  void onLookupDone(const std::string& key, ResolveResult&& result, std::uint32_t ttl);
  std::chrono::seconds cacheTime(const ResolveResult& result, std::uint32_t ttl) const noexcept;
  void deliverReady();
  static int onDefer(sd_event_source* source, void* userdata) noexcept;

  const timer::Clock& clock_;
  ResolverSettings settings_;
  std::unique_ptr<DnsBackend> backend_;
  RandomSource random_;
  ResolveCache cache_;
  sd_event_source* defer_ = nullptr;
  ResolveHandle nextHandle_ = 1;
  std::unordered_map<ResolveHandle, Waiter> waiters_;
  std::unordered_map<std::string, InFlight> inFlight_;
  std::vector<std::pair<ResolveHandle, ResolveResult>> ready_;
  ResolverCounters counters_;
};

// A Resolver over c-ares (cares_backend.hpp) on `event`; when c-ares cannot be set up, `error`
// says why and the resolver fails every name (numeric hosts still work).
std::unique_ptr<Resolver> makeResolver(sd_event* event, const timer::Clock& clock,
                                       const ResolverSettings& settings, std::string& error);

}  // namespace sipha::resolver
