#include "transport/stream_listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <time.h>

#include <cerrno>
#include <cstring>

namespace sipha::transport {

namespace {
constexpr int kBacklog = 1024;
constexpr int kAcceptsPerWakeup = 64;
}  // namespace

StreamListener::~StreamListener() {
  stopSources();
  fd_.reset();
}

void StreamListener::stopSources() noexcept {
  source_ = sd_event_source_disable_unref(source_);
  backoff_ = sd_event_source_disable_unref(backoff_);
}

Status StreamListener::bind(const sockaddr_storage& address, socklen_t length) {
  UniqueFd fd;
  if (Status status = bindSocket(SOCK_STREAM, address, length, 0, fd); !status) return status;
  close();
  address_ = address;
  length_ = length;
  port_ = boundPort(fd.get());
  if (address_.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address_)->sin_port = htons(port_);
  } else {
    reinterpret_cast<sockaddr_in6*>(&address_)->sin6_port = htons(port_);
  }
  fd_ = std::move(fd);
  return Status::success();
}

Status StreamListener::rebind() {
  UniqueFd fd;
  if (Status status = bindSocket(SOCK_STREAM, address_, length_, 0, fd); !status) return status;
  fd_ = std::move(fd);
  return Status::success();
}

Status StreamListener::open(sd_event* event) {
  if (source_ != nullptr) return Status::success();
  if (!fd_.valid()) {
    if (length_ == 0) {
      return Status::failure(errnoCode(EDESTADDRREQ), "stream listener was never bound");
    }
    if (Status status = rebind(); !status) return status;
  }
  if (::listen(fd_.get(), kBacklog) != 0) {
    const int error = errno;
    return Status::failure(errnoCode(error), "listen(): " + std::string(strerror(error)));
  }
  const int r =
      sd_event_add_io(event, &source_, fd_.get(), EPOLLIN, &StreamListener::onAcceptable, this);
  if (r < 0) {
    source_ = nullptr;
    return Status::failure(errnoCode(-r), "sd_event_add_io failed for a stream listener");
  }
  sd_event_source_set_description(source_, kind_ == TransportKind::Tls ? "sip-tls" : "sip-tcp");
  if (sd_event_add_time_relative(event, &backoff_, CLOCK_MONOTONIC, 0, 1000,
                                 &StreamListener::onBackoffOver, this) >= 0) {
    sd_event_source_set_enabled(backoff_, SD_EVENT_OFF);
  } else {
    backoff_ = nullptr;  // without it, accept errors simply retry on the next wakeup
  }
  return Status::success();
}

void StreamListener::close() noexcept {
  if (source_ == nullptr) return;
  stopSources();
  // Closing the listening socket resets the connections still in its accept queue.
  fd_.reset();
  (void)rebind();  // keep the port reserved; open() retries when this fails
}

void StreamListener::pause() noexcept {
  if (backoff_ == nullptr) return;
  // Level-triggered: the pending connection would wake us again at once.
  sd_event_source_set_enabled(source_, SD_EVENT_OFF);
  sd_event_source_set_time_relative(
      backoff_, static_cast<std::uint64_t>(
                    std::chrono::duration_cast<std::chrono::microseconds>(kAcceptBackoff).count()));
  sd_event_source_set_enabled(backoff_, SD_EVENT_ONESHOT);
}

int StreamListener::onBackoffOver(sd_event_source*, std::uint64_t, void* self) {
  auto* listener = static_cast<StreamListener*>(self);
  if (listener->source_ != nullptr) sd_event_source_set_enabled(listener->source_, SD_EVENT_ON);
  return 0;
}

int StreamListener::onAcceptable(sd_event_source*, int fd, std::uint32_t, void* self) {
  auto* listener = static_cast<StreamListener*>(self);
  for (int i = 0; i < kAcceptsPerWakeup && listener->source_ != nullptr; ++i) {
    sockaddr_storage from{};
    socklen_t length = sizeof(from);
    UniqueFd client(
        ::accept4(fd, reinterpret_cast<sockaddr*>(&from), &length, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        ++listener->acceptErrors_;
        listener->pause();
      }
      break;
    }
    int on = 1;
    ::setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    listener->onAccept_(listener->kind_, std::move(client), from, length);
  }
  return 0;
}

}  // namespace sipha::transport
