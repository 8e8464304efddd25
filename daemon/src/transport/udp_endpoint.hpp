#pragma once
// The UDP socket of RFC 3261 section 18 (sip-interface:sip-port): datagrams are read in batches
// with recvmmsg() into preallocated buffers; each becomes one std::string for the handler.
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "transport/counters.hpp"
#include "transport/peer.hpp"
#include "transport/settings.hpp"
#include "transport/socket.hpp"
#include "transport/status.hpp"

namespace sipha::transport {

using MessageHandler = std::function<void(std::string&& bytes, const Peer& from)>;

class UdpEndpoint {
 public:
  // `handler` and `counters` must outlive the endpoint (they belong to the TransportManager).
  UdpEndpoint(const MessageHandler& handler, Counters& counters) noexcept
      : handler_(handler), counters_(counters) {}
  ~UdpEndpoint();
  UdpEndpoint(const UdpEndpoint&) = delete;
  UdpEndpoint& operator=(const UdpEndpoint&) = delete;

  Status open(sd_event* event, const sockaddr_storage& address, socklen_t length,
              const TransportLimits& limits);
  // Stops receiving at once; safe to call from inside the handler.
  void close() noexcept;
  // New batch size / buffer sizes, applied before the next read (safe inside the handler).
  void setLimits(const TransportLimits& limits) noexcept;

  std::error_code sendTo(const Peer& to, std::string_view bytes) noexcept;
  std::uint16_t port() const noexcept { return port_; }
  int family() const noexcept { return family_; }

 private:
  static int onReadable(sd_event_source* source, int fd, std::uint32_t revents, void* self);
  // Returns the number of datagrams read (0 when the socket is drained or closed).
  int receiveBatch() noexcept;
  void allocate(const TransportLimits& limits);

  const MessageHandler& handler_;
  Counters& counters_;
  UniqueFd fd_;
  sd_event_source* source_ = nullptr;
  std::uint16_t port_ = 0;
  int family_ = AF_UNSPEC;
  std::size_t slotSize_ = 0;  // maxMessageSize + 1, so oversized datagrams are detected
  std::vector<char> storage_;
  std::vector<mmsghdr> headers_;
  std::vector<iovec> vectors_;
  std::vector<sockaddr_storage> addresses_;
  std::optional<TransportLimits> pendingLimits_;
};

}  // namespace sipha::transport
