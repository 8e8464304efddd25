#pragma once
// What the transport layer is told by the configuration ([TServer] sip-interface, sip-port,
// sip-port-tls, sip-tls-*) plus its limits. Plain values; the daemon maps the INI onto it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sipha::transport {

struct TlsSettings {
  std::string certificateFile;  // PEM, may hold the chain
  std::string privateKeyFile;   // PEM
  std::string caFile;           // optional: trusted CAs for peer verification
  bool verifyClient = false;    // sip-tls-verify-client: require and verify a client certificate
  bool operator==(const TlsSettings&) const = default;
};

struct TransportLimits {
  std::size_t maxMessageSize = 65535;              // bigger stream message closes the connection
  std::size_t maxConnections = 1024;               // inbound + outbound stream connections
  std::size_t maxInputBuffer = 128 * 1024;         // per connection, unparsed bytes
  std::size_t maxOutputBuffer = 1024 * 1024;       // per connection, bytes queued for a slow peer
  std::chrono::milliseconds idleTimeout{600'000};  // no traffic -> close; 0 = never
  std::chrono::milliseconds handshakeTimeout{10'000};  // connect + TLS handshake must finish
  std::size_t udpBatch = 32;                           // datagrams read per wakeup (recvmmsg)
  int udpReceiveBuffer = 4 * 1024 * 1024;              // SO_RCVBUF
  bool operator==(const TransportLimits&) const = default;
};

struct TransportSettings {
  std::string interface;      // sip-interface: literal IPv4 or IPv6 address
  std::uint16_t port = 5060;  // sip-port (UDP and TCP); 0 = any (tests)
  bool udpEnabled = true;
  bool tcpEnabled = true;
  std::optional<std::uint16_t> tlsPort;  // sip-port-tls; unset = no TLS listener
  TlsSettings tls;
  TransportLimits limits;
  bool operator==(const TransportSettings&) const = default;
};

}  // namespace sipha::transport
