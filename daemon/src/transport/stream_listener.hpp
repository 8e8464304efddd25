#pragma once
// A TCP or TLS listening socket. It stays bound while "closed" (not listening), so the port is
// kept and a connect gets RST (the BIG-IP contract: the backup refuses sip-port-tls); open()
// starts listen() + accept events, close() drops the listen queue and rebinds without listening.
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include <functional>

#include "transport/peer.hpp"
#include "transport/socket.hpp"
#include "transport/status.hpp"

namespace sipha::transport {

class StreamListener {
 public:
  using AcceptHandler = std::function<void(TransportKind kind, UniqueFd fd,
                                           const sockaddr_storage& from, socklen_t length)>;

  StreamListener(TransportKind kind, AcceptHandler onAccept) noexcept
      : kind_(kind), onAccept_(std::move(onAccept)) {}
  ~StreamListener();
  StreamListener(const StreamListener&) = delete;
  StreamListener& operator=(const StreamListener&) = delete;

  // Binds (port 0: the kernel chooses; the chosen port is kept across close/open).
  Status bind(const sockaddr_storage& address, socklen_t length);
  Status open(sd_event* event);
  void close() noexcept;

  bool listening() const noexcept { return source_ != nullptr; }
  std::uint16_t port() const noexcept { return port_; }
  TransportKind kind() const noexcept { return kind_; }

 private:
  static int onAcceptable(sd_event_source* source, int fd, std::uint32_t revents, void* self);
  Status rebind();

  TransportKind kind_;
  AcceptHandler onAccept_;
  sockaddr_storage address_{};  // with the bound port filled in
  socklen_t length_ = 0;
  std::uint16_t port_ = 0;
  UniqueFd fd_;
  sd_event_source* source_ = nullptr;
};

}  // namespace sipha::transport
