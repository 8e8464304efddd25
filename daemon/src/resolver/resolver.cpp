#include "resolver/resolver.hpp"

#include <algorithm>

#include "resolver/cares_backend.hpp"

namespace sipha::resolver {

Resolver::Resolver(sd_event* event, const timer::Clock& clock, ResolverSettings settings,
                   std::unique_ptr<DnsBackend> backend, RandomSource random)
    : clock_(clock),
      settings_(std::move(settings)),
      backend_(std::move(backend)),
      random_(std::move(random)),
      cache_(settings_.cacheCapacity) {
  if (event != nullptr && sd_event_add_defer(event, &defer_, &Resolver::onDefer, this) >= 0) {
    sd_event_source_set_enabled(defer_, SD_EVENT_OFF);
  }
}

Resolver::~Resolver() {
  // The backend first: it calls nothing back once its destruction has started, so no lookup
  // hears from it after this line.
  backend_.reset();
  inFlight_.clear();
  if (defer_ != nullptr) sd_event_source_disable_unref(defer_);
}

bool Resolver::tryCached(const NextHopQuery& query, ResolveResult& result) {
  if (resolveLiteral(query, result)) {
    ++counters_.literal;
    return true;
  }
  if (const ResolveResult* cached = cache_.find(queryKey(query), clock_.now())) {
    ++counters_.cacheHits;
    result = *cached;
    return true;
  }
  return false;
}

ResolveHandle Resolver::enqueueReady(ResolveResult result, Callback done) {
  const ResolveHandle handle = nextHandle_++;
  waiters_.emplace(handle, Waiter{std::string{}, std::move(done)});
  ready_.emplace_back(handle, std::move(result));
  if (defer_ != nullptr) sd_event_source_set_enabled(defer_, SD_EVENT_ONESHOT);
  return handle;
}

ResolveHandle Resolver::resolve(const NextHopQuery& query, Callback done) {
  ++counters_.requests;
  ResolveResult result;
  if (bareHost(query.host).empty()) {
    result.status = ResolveStatus::Invalid;
    result.name = query.host;
    return enqueueReady(std::move(result), std::move(done));
  }
  if (tryCached(query, result)) return enqueueReady(std::move(result), std::move(done));
  if (waiters_.size() >= settings_.maxWaiters) {
    ++counters_.overloaded;
    result.status = ResolveStatus::Overloaded;
    result.name = query.host;
    return enqueueReady(std::move(result), std::move(done));
  }
  std::string key = queryKey(query);
  if (const auto found = inFlight_.find(key); found != inFlight_.end()) {
    ++counters_.joined;
    const ResolveHandle handle = nextHandle_++;
    waiters_.emplace(handle, Waiter{key, std::move(done)});
    found->second.waiters.push_back(handle);
    return handle;
  }
  if (backend_ == nullptr || inFlight_.size() >= settings_.maxInFlight) {
    if (backend_ == nullptr) {
      result.status = ResolveStatus::Failure;
      result.detail = "no DNS resolver";
    } else {
      ++counters_.overloaded;
      result.status = ResolveStatus::Overloaded;
    }
    result.name = query.host;
    return enqueueReady(std::move(result), std::move(done));
  }
  ++counters_.lookups;
  const ResolveHandle handle = nextHandle_++;
  waiters_.emplace(handle, Waiter{key, std::move(done)});
  InFlight& entry = inFlight_[key];
  entry.waiters.push_back(handle);
  entry.lookup = std::make_unique<Lookup>(*backend_, query, settings_.limits, random_,
                                          [this, key](ResolveResult&& outcome, std::uint32_t ttl) {
                                            onLookupDone(key, std::move(outcome), ttl);
                                          });
  entry.lookup->start();  // the backend never answers from inside start()
  return handle;
}

void Resolver::cancel(ResolveHandle handle) noexcept {
  const auto found = waiters_.find(handle);
  if (found == waiters_.end()) return;
  ++counters_.cancelled;
  // The lookup goes on (its answer fills the cache for the next call); only the waiter leaves.
  if (!found->second.key.empty()) {
    if (const auto entry = inFlight_.find(found->second.key); entry != inFlight_.end()) {
      std::erase(entry->second.waiters, handle);
    }
  }
  waiters_.erase(found);
}

std::chrono::seconds Resolver::cacheTime(const ResolveResult& result,
                                         std::uint32_t ttl) const noexcept {
  if (result.status == ResolveStatus::Ok) {
    return std::clamp(std::chrono::seconds{ttl}, settings_.minTtl, settings_.maxTtl);
  }
  if (isNegativeAnswer(result.status)) return settings_.negativeTtl;
  return settings_.failureTtl;
}

void Resolver::onLookupDone(const std::string& key, ResolveResult&& result, std::uint32_t ttl) {
  // Called from inside the Lookup: take its node out of the table, and let it die on return.
  auto node = inFlight_.extract(key);
  if (node.empty()) return;
  if (!result.ok()) ++counters_.failed;
  const std::chrono::seconds keep = cacheTime(result, ttl);
  if (keep.count() > 0) cache_.insert(key, result, clock_.now() + keep);
  for (const ResolveHandle handle : node.mapped().waiters) {
    // A callback may cancel or start other requests: look each waiter up again.
    const auto found = waiters_.find(handle);
    if (found == waiters_.end()) continue;
    const Callback done = std::move(found->second.done);
    waiters_.erase(found);
    done(result);
  }
}

void Resolver::deliverReady() {
  std::vector<std::pair<ResolveHandle, ResolveResult>> ready;
  ready.swap(ready_);
  for (auto& [handle, result] : ready) {
    const auto found = waiters_.find(handle);
    if (found == waiters_.end()) continue;  // cancelled
    const Callback done = std::move(found->second.done);
    waiters_.erase(found);
    done(result);
  }
}

int Resolver::onDefer(sd_event_source* /*source*/, void* userdata) noexcept {
  static_cast<Resolver*>(userdata)->deliverReady();
  return 0;
}

std::unique_ptr<Resolver> makeResolver(sd_event* event, const timer::Clock& clock,
                                       const ResolverSettings& settings, std::string& error) {
  CaresOptions options;
  options.timeoutMs = settings.timeoutMs;
  options.tries = settings.tries;
  options.servers = settings.servers;
  std::unique_ptr<DnsBackend> backend = CaresBackend::create(event, options, error);
  return std::make_unique<Resolver>(event, clock, settings, std::move(backend));
}

}  // namespace sipha::resolver
