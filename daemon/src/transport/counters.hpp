#pragma once
// Counters the daemon exports (D-Bus, JSON dump). Monotonic; only the transport layer writes.
#include <array>
#include <cstdint>

#include "transport/peer.hpp"

namespace sipha::transport {

struct KindCounters {
  std::uint64_t messagesIn = 0;
  std::uint64_t messagesOut = 0;
  std::uint64_t bytesIn = 0;
  std::uint64_t bytesOut = 0;
  std::uint64_t sendErrors = 0;
};

struct Counters {
  std::array<KindCounters, 3> kind{};  // indexed by TransportKind

  // Untrusted input that was dropped.
  std::uint64_t framingErrors = 0;         // malformed stream framing (bad Content-Length ...)
  std::uint64_t missingContentLength = 0;  // stream message without Content-Length
  std::uint64_t oversizedMessages = 0;     // > maxMessageSize (stream or datagram)
  std::uint64_t udpKeepAlives = 0;         // CRLF-only datagrams, ignored
  std::uint64_t keepAlivePings = 0;        // RFC 5626 CRLFCRLF pings answered
  std::uint64_t receiveErrors = 0;         // recv/read failures other than EAGAIN

  // Connections.
  std::uint64_t connectionsAccepted = 0;
  std::uint64_t acceptErrors = 0;        // accept() out of descriptors/memory (listener pauses)
  std::uint64_t connectionsRefused = 0;  // accepted then closed: connection limit
  std::uint64_t connectionsOpened = 0;   // outbound connects started
  std::uint64_t connectFailures = 0;
  std::uint64_t connectionsClosed = 0;
  std::uint64_t tlsHandshakeFailures = 0;
  std::uint64_t tlsErrors = 0;  // alerts / protocol errors after the handshake
  std::uint64_t idleTimeouts = 0;
  std::uint64_t handshakeTimeouts = 0;

  // Limits hit.
  std::uint64_t connectionLimitHits = 0;
  std::uint64_t inputBufferLimitHits = 0;
  std::uint64_t outputBufferLimitHits = 0;

  KindCounters& of(TransportKind k) noexcept { return kind[static_cast<std::size_t>(k)]; }
  const KindCounters& of(TransportKind k) const noexcept {
    return kind[static_cast<std::size_t>(k)];
  }
};

}  // namespace sipha::transport
