#pragma once
// One TCP or TLS connection (RFC 3261 section 18.3): non-blocking connect, the TLS handshake
// driven by the event loop, Content-Length framing of the input (StreamFramer), RFC 5626 pongs,
// an output buffer flushed when the socket is writable, and an idle/handshake deadline.
#include <systemd/sd-event.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "transport/counters.hpp"
#include "transport/peer.hpp"
#include "transport/settings.hpp"
#include "transport/socket.hpp"
#include "transport/status.hpp"
#include "transport/stream_framer.hpp"
#include "transport/tls_context.hpp"

namespace sipha::transport {

enum class CloseReason : std::uint8_t {
  PeerClosed,
  ReadError,
  WriteError,
  ConnectFailed,
  TlsFailure,
  MissingContentLength,
  BadFraming,
  MessageTooLarge,
  InputBufferLimit,
  IdleTimeout,
  HandshakeTimeout,
  Local,  // closed by the owner: listeners closed, shutdown, closeConnection()
};

std::string_view closeReasonName(CloseReason reason) noexcept;

class StreamConnection;

// Implemented by the TransportManager.
class StreamOwner {
 public:
  virtual void streamMessage(StreamConnection& connection, std::string&& bytes) = 0;
  // Called once; the owner must not destroy the connection before the current callback returns.
  virtual void streamClosed(StreamConnection& connection, CloseReason reason,
                            std::error_code error) = 0;
  virtual Counters& mutableCounters() noexcept = 0;
  virtual const TransportLimits& limits() const noexcept = 0;
  // A shared read buffer (the loop is single-threaded).
  virtual std::span<char> scratch() noexcept = 0;

 protected:
  ~StreamOwner() = default;
};

class StreamConnection {
 public:
  enum class State : std::uint8_t { Connecting, Handshaking, Open, Closed };

  // `fd` is connected (inbound) or connecting (outbound: `connecting` = true). `ssl` is null for
  // TCP; for TLS it is set to the accept or connect state here.
  StreamConnection(StreamOwner& owner, UniqueFd fd, const Peer& peer, SslPtr ssl, bool connecting,
                   bool inbound) noexcept;
  ~StreamConnection();
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  Status start(sd_event* event);

  // Writes now when possible, queues the rest. ENOBUFS when the output buffer limit is hit,
  // ENOTCONN once closed. A write failure closes the connection and returns its error.
  std::error_code send(std::string_view bytes) noexcept;
  void close(CloseReason reason, std::error_code error = {}) noexcept;

  const Peer& peer() const noexcept { return peer_; }
  std::uint64_t id() const noexcept { return peer_.connectionId; }
  State state() const noexcept { return state_; }
  bool inbound() const noexcept { return inbound_; }
  std::size_t pendingOutput() const noexcept { return output_.size() - outputOffset_; }

 private:
  static int onIo(sd_event_source* source, int fd, std::uint32_t revents, void* self);
  static int onTimer(sd_event_source* source, std::uint64_t usec, void* self);

  void finishConnect() noexcept;
  void handshake() noexcept;
  void readAvailable() noexcept;
  void consume(std::string_view chunk) noexcept;
  // Frames and delivers; returns the bytes consumed (stops early once closed).
  std::size_t deliverFrames(std::string_view buffer) noexcept;
  void flush() noexcept;
  // Bytes written (0 = would block), or -1 after closing on a fatal error.
  long writeSome(std::string_view bytes) noexcept;
  void updateEvents() noexcept;
  std::uint64_t deadline() const noexcept;
  std::uint64_t now() const noexcept;
  void touch() noexcept { lastActivity_ = now(); }

  StreamOwner& owner_;
  UniqueFd fd_;
  Peer peer_;
  SslPtr ssl_;
  State state_;
  bool inbound_;
  bool tlsWantsWrite_ = false;
  sd_event* event_ = nullptr;
  sd_event_source* io_ = nullptr;
  sd_event_source* timer_ = nullptr;
  std::uint32_t events_ = 0;
  std::uint64_t createdAt_ = 0;
  std::uint64_t lastActivity_ = 0;
  StreamFramer framer_;
  std::string input_;   // unconsumed bytes of a partial message
  std::string output_;  // bytes not yet accepted by the socket, from outputOffset_
  std::size_t outputOffset_ = 0;
};

}  // namespace sipha::transport
