#pragma once
// The HA link between the two sipd nodes of a pair: opaque frames (u32 big-endian length + body)
// over mutually authenticated TLS 1.3, on the sd-event loop, single-threaded (README.md).
#include <systemd/sd-event.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sipha::halink {

struct LinkSettings {
  std::string certificateFile;             // this node's certificate (PEM, may hold the chain)
  std::string privateKeyFile;              // its key (PEM)
  std::string caFile;                      // the pair's CA: the peer's certificate must chain to it
  std::string peerCertificateFile;         // optional pin: the peer must present exactly this (DER)
  std::size_t maxFrameBytes = 1 << 20;     // a larger length prefix closes (Oversized)
  std::size_t maxOutputBytes = 256 << 20;  // queued output beyond it closes (OutputLimit)
  std::size_t maxConnections = 16;         // inbound + outbound; more accepts are closed at once
  std::uint32_t handshakeTimeoutMs = 3000;  // connect + TLS handshake (> 0)
  std::uint32_t idleTimeoutMs = 3000;       // no byte received -> IdleTimeout; 0 = never
  std::uint32_t closeTimeoutMs = 3000;      // close(Local) writes what is queued for this long
};

enum class CloseReason : std::uint8_t {
  PeerClosed,
  ReadError,
  WriteError,
  ConnectFailed,
  HandshakeFailed,  // TLS failed, a certificate refused (by either side), the peer is not TLS
  Oversized,        // the peer announced a frame over maxFrameBytes
  OutputLimit,
  IdleTimeout,
  HandshakeTimeout,
  Local,  // close() by the user
};

std::string_view closeReasonName(CloseReason reason) noexcept;

// README.md: bytes are TLS payload with prefixes; framesOut counts queued frames; refusals are
// by this node; connectionsOpened/connectFailures are outbound; socketWrites counts send() calls.
struct LinkCounters {
  std::uint64_t bytesIn = 0, bytesOut = 0, framesIn = 0, framesOut = 0, socketWrites = 0;
  std::uint64_t handshakeFailures = 0, certificateRefusals = 0, handshakeTimeouts = 0;
  std::uint64_t idleTimeouts = 0, oversizedFrames = 0, outputLimitHits = 0;
  std::uint64_t connectionsAccepted = 0, connectionsRefused = 0, connectionsOpened = 0;
  std::uint64_t connectFailures = 0, linksOpened = 0, acceptErrors = 0;
};

// One TLS connection, inbound or outbound. Owned by the Link; valid until linkClosed returns.
class Connection {
 public:
  // Queues one frame (+ prefix); a defer source writes a loop iteration's frames in one
  // SSL_write (also those queued before linkOpen). False once closing, for a frame over
  // maxFrameBytes, and over maxOutputBytes (which closes with OutputLimit).
  virtual bool send(std::string_view frame) = 0;
  virtual std::size_t queuedBytes() const = 0;
  // Stops delivery at once (safe inside linkFrame); writes what is queued (closeTimeoutMs at most)
  // and a close_notify; linkClosed follows from the event loop, never from inside close().
  virtual void close(CloseReason reason = CloseReason::Local) = 0;
  virtual bool inbound() const = 0;
  virtual bool opened() const = 0;                        // linkOpen was called
  virtual const std::string& peerAddress() const = 0;     // "1.2.3.4:5000", "[::1]:5000"
  virtual const std::string& peerCommonName() const = 0;  // "" until opened
  virtual std::uint64_t id() const = 0;                   // unique per Link, never 0

 protected:
  ~Connection() = default;
};

class LinkHandler {
 public:
  virtual void linkOpen(Connection& connection) = 0;  // handshake done, both peers verified
  // One whole frame body; the view is valid during the call only.
  virtual void linkFrame(Connection& connection, std::string_view frame) = 0;
  // Once per connection, from the loop (also for inbound ones that never opened: opened() is
  // false). The connection is destroyed when this returns.
  virtual void linkClosed(Connection& connection, CloseReason reason, std::string_view detail) = 0;

 protected:
  ~LinkHandler() = default;
};

class LinkCore;
// Owns the listener, the connections, the TLS contexts and the counters. Destroying it closes
// every connection without calling the handler; do not destroy it from inside a callback.
class Link {
 public:
  Link(sd_event* event, LinkHandler& handler);
  ~Link();  // not copyable (unique_ptr member)

  // Loads the files, builds both TLS 1.3 contexts. Again: for new connections; limits at once.
  bool configure(const LinkSettings& settings, std::string& error);
  // After configure(). IPv4/IPv6 literal; port 0 = ephemeral. Again: replaces the listener.
  bool listen(const std::string& address, std::uint16_t port, std::string& error);
  std::uint16_t listenPort() const noexcept;  // 0 when not listening
  void stopListening() noexcept;              // existing connections stay
  // Non-blocking; linkOpen or linkClosed follows. Null only before configure() or for a
  // non-literal address; any other failure is a linkClosed(ConnectFailed).
  // `source` (optional, a literal of this host): the address the connection leaves from, so the
  // peer can check who dials it.
  Connection* connect(const std::string& address, std::uint16_t port, std::string& error,
                      const std::string& source = {});

  std::size_t connectionCount() const noexcept;  // not yet destroyed (linkClosed pending too)
  const LinkCounters& counters() const noexcept;

 private:
  std::unique_ptr<LinkCore> core_;
};

}  // namespace sipha::halink
