#include "transport/stream_listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cerrno>
#include <cstring>

namespace sipha::transport {

namespace {
constexpr int kBacklog = 1024;
constexpr int kAcceptsPerWakeup = 64;
}  // namespace

StreamListener::~StreamListener() {
  source_ = sd_event_source_disable_unref(source_);
  fd_.reset();
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
  return Status::success();
}

void StreamListener::close() noexcept {
  if (source_ == nullptr) return;
  source_ = sd_event_source_disable_unref(source_);
  // Closing the listening socket resets the connections still in its accept queue.
  fd_.reset();
  (void)rebind();  // keep the port reserved; open() retries when this fails
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
      break;  // EAGAIN, or EMFILE/ENFILE (the next wakeup retries)
    }
    int on = 1;
    ::setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    listener->onAccept_(listener->kind_, std::move(client), from, length);
  }
  return 0;
}

}  // namespace sipha::transport
