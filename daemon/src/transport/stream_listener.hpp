#pragma once
// A TCP or TLS listening socket. It stays bound while "closed" (not listening), so the port is
// kept and a connect gets RST (the BIG-IP contract: the backup refuses sip-port-tls); open()
// starts listen() + accept events, close() drops the listen queue and rebinds without listening.
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <functional>

#include "transport/peer.hpp"
#include "transport/socket.hpp"
#include "transport/status.hpp"

namespace sipha::transport {

class StreamListener {
 public:
  static constexpr std::chrono::milliseconds kAcceptBackoff{100};

  using AcceptHandler = std::function<void(TransportKind kind, UniqueFd fd,
                                           const sockaddr_storage& from, socklen_t length)>;

  // `acceptErrors` counts accept() failures for lack of descriptors or memory; the listener then
  // pauses for kAcceptBackoff instead of spinning on a connection it cannot take.
  StreamListener(TransportKind kind, AcceptHandler onAccept, std::uint64_t& acceptErrors) noexcept
      : kind_(kind), onAccept_(std::move(onAccept)), acceptErrors_(acceptErrors) {}
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
  static int onBackoffOver(sd_event_source* source, std::uint64_t usec, void* self);
  void pause() noexcept;
  void stopSources() noexcept;
  Status rebind();

  TransportKind kind_;
  AcceptHandler onAccept_;
  sockaddr_storage address_{};  // with the bound port filled in
  socklen_t length_ = 0;
  std::uint16_t port_ = 0;
  UniqueFd fd_;
  std::uint64_t& acceptErrors_;
  sd_event_source* source_ = nullptr;
  sd_event_source* backoff_ = nullptr;  // created with the io source (its clock fd, too)
};

}  // namespace sipha::transport
