#include "resolver/cares_backend.hpp"

#include <ares.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace sipha::resolver {
namespace {

ResolveStatus fromAres(int status) noexcept {
  switch (status) {
    case ARES_SUCCESS:
      return ResolveStatus::Ok;
    case ARES_ENODATA:
      return ResolveStatus::NoRecords;
    case ARES_ENOTFOUND:
      return ResolveStatus::NxDomain;
    case ARES_ETIMEOUT:
      return ResolveStatus::Timeout;
    case ARES_ESERVFAIL:
      return ResolveStatus::ServerFailure;
    case ARES_EREFUSED:
      return ResolveStatus::Refused;
    case ARES_EBADRESP:
    case ARES_EFORMERR:
      return ResolveStatus::Malformed;
    case ARES_EBADNAME:
      return ResolveStatus::Invalid;
    default:
      return ResolveStatus::Failure;
  }
}

bool sameAddress(const Address& a, const Address& b) noexcept {
  return a.length == b.length && std::memcmp(&a.address, &b.address, a.length) == 0;
}

}  // namespace

struct CaresBackend::Channel {
  ares_channel channel = nullptr;
};

struct CaresBackend::RawRequest {
  CaresBackend* backend;
  RawCallback done;
};

struct CaresBackend::AddressRequest {
  CaresBackend* backend;
  AddressCallback done;
};

CaresBackend::CaresBackend(sd_event* event)
    : event_(event), channel_(std::make_unique<Channel>()) {}

std::unique_ptr<CaresBackend> CaresBackend::create(sd_event* event, const CaresOptions& options,
                                                   std::string& error) {
  static std::once_flag once;
  static int initialised = ARES_SUCCESS;
  std::call_once(once, [] { initialised = ares_library_init(ARES_LIB_INIT_ALL); });
  if (initialised != ARES_SUCCESS) {
    error = std::string{"c-ares: "} + ares_strerror(initialised);
    return nullptr;
  }
  std::unique_ptr<CaresBackend> backend(new CaresBackend(event));
  int r = sd_event_add_time(event, &backend->time_, CLOCK_MONOTONIC, 0, 1000, &CaresBackend::onTime,
                            backend.get());
  if (r >= 0) r = sd_event_source_set_enabled(backend->time_, SD_EVENT_OFF);
  if (r >= 0)
    r = sd_event_add_defer(event, &backend->defer_, &CaresBackend::onDefer, backend.get());
  if (r >= 0) r = sd_event_source_set_enabled(backend->defer_, SD_EVENT_OFF);
  if (r < 0) {
    error = std::string{"sd-event: "} + std::strerror(-r);
    return nullptr;
  }
  ares_options ares{};
  ares.sock_state_cb = &CaresBackend::onSocketState;
  ares.sock_state_cb_data = backend.get();
  ares.timeout = std::max(options.timeoutMs, 100);
  ares.tries = std::max(options.tries, 1);
  const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  int status = ares_init_options(&backend->channel_->channel, &ares, mask);
  if (status != ARES_SUCCESS) {
    backend->channel_->channel = nullptr;
    error = std::string{"c-ares: "} + ares_strerror(status);
    return nullptr;
  }
  if (!options.servers.empty()) {
    status = ares_set_servers_ports_csv(backend->channel_->channel, options.servers.c_str());
    if (status != ARES_SUCCESS) {
      error = "c-ares: servers \"" + options.servers + "\": " + ares_strerror(status);
      return nullptr;
    }
  }
  return backend;
}

CaresBackend::~CaresBackend() {
  destroying_ = true;
  // ares_destroy calls every pending callback with ARES_EDESTRUCTION (ignored: destroying_) and
  // closes its sockets through onSocketState.
  if (channel_->channel != nullptr) ares_destroy(channel_->channel);
  for (auto& [fd, source] : io_) sd_event_source_disable_unref(source);
  io_.clear();
  if (time_ != nullptr) sd_event_source_disable_unref(time_);
  if (defer_ != nullptr) sd_event_source_disable_unref(defer_);
}

void CaresBackend::query(const std::string& name, int type, RawCallback done) {
  auto* request = new RawRequest{this, std::move(done)};
  ++starting_;
  ares_query(channel_->channel, name.c_str(), ns_c_in, type, &CaresBackend::onRaw, request);
  --starting_;
  rearmTimer();
}

void CaresBackend::addresses(const std::string& name, AddressCallback done) {
  auto* request = new AddressRequest{this, std::move(done)};
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = ARES_AI_NOSORT;  // sipd orders: IPv4 first (docs/dns.md)
  ++starting_;
  ares_getaddrinfo(channel_->channel, name.c_str(), nullptr, &hints, &CaresBackend::onAddresses,
                   request);
  --starting_;
  rearmTimer();
}

void CaresBackend::onRaw(void* arg, int status, int /*timeouts*/, unsigned char* message,
                         int length) {
  std::unique_ptr<RawRequest> request(static_cast<RawRequest*>(arg));
  CaresBackend& self = *request->backend;
  if (self.destroying_) return;
  std::vector<unsigned char> bytes;
  if (status == ARES_SUCCESS && message != nullptr && length > 0) {
    bytes.assign(message, message + length);
  }
  const ResolveStatus result = fromAres(status);
  self.complete(
      [done = std::move(request->done), result, bytes = std::move(bytes)] { done(result, bytes); });
}

void CaresBackend::onAddresses(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  std::unique_ptr<AddressRequest> request(static_cast<AddressRequest*>(arg));
  CaresBackend& self = *request->backend;
  AddressAnswer answer;
  answer.status = fromAres(status);
  if (status == ARES_SUCCESS && result != nullptr) {
    std::vector<Address> v6;
    bool first = true;
    for (const ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
      if (node->ai_addr == nullptr) continue;
      Address address;
      if (node->ai_family == AF_INET && node->ai_addrlen >= sizeof(sockaddr_in)) {
        address.length = sizeof(sockaddr_in);
      } else if (node->ai_family == AF_INET6 && node->ai_addrlen >= sizeof(sockaddr_in6)) {
        address.length = sizeof(sockaddr_in6);
      } else {
        continue;
      }
      std::memcpy(&address.address, node->ai_addr, address.length);
      auto& list = node->ai_family == AF_INET ? answer.addresses : v6;
      if (std::none_of(list.begin(), list.end(),
                       [&](const Address& a) { return sameAddress(a, address); })) {
        list.push_back(address);
      }
      const auto ttl = static_cast<std::uint32_t>(std::max(node->ai_ttl, 0));
      answer.ttl = first ? ttl : std::min(answer.ttl, ttl);
      first = false;
    }
    answer.addresses.insert(answer.addresses.end(), v6.begin(), v6.end());
    if (answer.addresses.empty()) answer.status = ResolveStatus::NoRecords;
  }
  if (result != nullptr) ares_freeaddrinfo(result);
  if (self.destroying_) return;
  self.complete([done = std::move(request->done), answer = std::move(answer)]() mutable {
    done(std::move(answer));
  });
}

void CaresBackend::complete(std::function<void()> completion) {
  if (starting_ == 0) {
    completion();
    return;
  }
  deferred_.push_back(std::move(completion));
  sd_event_source_set_enabled(defer_, SD_EVENT_ONESHOT);
}

int CaresBackend::onDefer(sd_event_source* /*source*/, void* userdata) noexcept {
  auto& self = *static_cast<CaresBackend*>(userdata);
  std::vector<std::function<void()>> ready;
  ready.swap(self.deferred_);
  for (auto& completion : ready) completion();
  return 0;
}

void CaresBackend::onSocketState(void* data, int fd, int readable, int writable) {
  auto& self = *static_cast<CaresBackend*>(data);
  const auto found = self.io_.find(fd);
  if (!readable && !writable) {
    if (found != self.io_.end()) {
      sd_event_source_disable_unref(found->second);
      self.io_.erase(found);
    }
    return;
  }
  if (self.destroying_) return;
  const std::uint32_t events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
  if (found != self.io_.end()) {
    sd_event_source_set_io_events(found->second, events);
    return;
  }
  sd_event_source* source = nullptr;
  if (sd_event_add_io(self.event_, &source, fd, events, &CaresBackend::onIo, &self) >= 0) {
    self.io_.emplace(fd, source);
  }
  // On failure the query times out through the timer (c-ares then closes the socket).
}

int CaresBackend::onIo(sd_event_source* /*source*/, int fd, std::uint32_t revents,
                       void* userdata) noexcept {
  auto& self = *static_cast<CaresBackend*>(userdata);
  const bool read = (revents & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
  const bool write = (revents & EPOLLOUT) != 0;
  self.process(read ? fd : ARES_SOCKET_BAD, write ? fd : ARES_SOCKET_BAD);
  return 0;
}

int CaresBackend::onTime(sd_event_source* /*source*/, std::uint64_t /*usec*/,
                         void* userdata) noexcept {
  auto& self = *static_cast<CaresBackend*>(userdata);
  self.process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts and retries
  return 0;
}

void CaresBackend::process(int readFd, int writeFd) {
  ares_process_fd(channel_->channel, readFd, writeFd);
  rearmTimer();
}

void CaresBackend::rearmTimer() {
  if (destroying_ || time_ == nullptr) return;
  timeval buffer{};
  const timeval* next = ares_timeout(channel_->channel, nullptr, &buffer);
  if (next == nullptr) {
    sd_event_source_set_enabled(time_, SD_EVENT_OFF);
    return;
  }
  std::uint64_t now = 0;
  if (sd_event_now(event_, CLOCK_MONOTONIC, &now) < 0) return;
  const std::uint64_t delay = static_cast<std::uint64_t>(next->tv_sec) * 1000000u +
                              static_cast<std::uint64_t>(next->tv_usec);
  sd_event_source_set_time(time_, now + delay);
  sd_event_source_set_enabled(time_, SD_EVENT_ONESHOT);
}

}  // namespace sipha::resolver
