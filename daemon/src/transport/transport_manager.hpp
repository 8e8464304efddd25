#pragma once
// The SIP transports of RFC 3261 section 18 for sipd's single sd-event loop: one UDP socket, a
// TCP and a TLS listener on sip-interface, the stream connections (inbound and outbound), role
// gating of the stream listeners (BIG-IP contract) and reload. Everything runs on the loop thread.
#include <systemd/sd-event.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "transport/counters.hpp"
#include "transport/peer.hpp"
#include "transport/settings.hpp"
#include "transport/status.hpp"
#include "transport/stream_connection.hpp"
#include "transport/stream_listener.hpp"
#include "transport/tls_context.hpp"
#include "transport/udp_endpoint.hpp"

namespace sipha::transport {

class TransportManager final : private StreamOwner {
 public:
  // An outbound connection failed (connect, TLS handshake) while it held queued bytes.
  using SendErrorHandler = std::function<void(const Peer& to, std::error_code error)>;
  using ConnectionClosedHandler = std::function<void(const Peer& peer, CloseReason reason)>;

  // `onMessage` receives every SIP message (one owned buffer each) with where it came from.
  // Ignores SIGPIPE process-wide when it is still at its default (TLS writes use write()).
  TransportManager(sd_event* event, MessageHandler onMessage);
  ~TransportManager();
  TransportManager(const TransportManager&) = delete;
  TransportManager& operator=(const TransportManager&) = delete;

  // Binds UDP, TCP and TLS. sipd starts as backup: stream listeners stay closed until
  // setStreamListenersOpen(true). On failure nothing is bound.
  Status start(const TransportSettings& settings, bool streamListenersOpen = false);

  // SIGHUP reload: rebinds only what changed; on any failure keeps every old socket and setting.
  Status reconfigure(const TransportSettings& settings);

  // Primary: listen on TCP/TLS. Backup: stop listening (connects get RST) and drop every stream
  // connection. UDP is not affected.
  Status setStreamListenersOpen(bool open);
  bool streamListenersOpen() const noexcept { return listenersOpen_; }

  // UDP: sendto. TCP/TLS: the connection `to.connectionId`, else an existing connection to
  // `to.address`, else a new outbound connection (bytes queued until it is up).
  std::error_code send(const Peer& to, std::string_view bytes);

  void closeConnection(std::uint64_t connectionId);
  bool hasConnection(std::uint64_t connectionId) const noexcept;
  std::size_t connectionCount() const noexcept { return connections_.size(); }

  void setSendErrorHandler(SendErrorHandler handler) { onSendError_ = std::move(handler); }
  void setConnectionClosedHandler(ConnectionClosedHandler handler) {
    onClosed_ = std::move(handler);
  }

  // The bound port (useful with port 0), 0 when that transport is not bound.
  std::uint16_t localPort(TransportKind kind) const noexcept;
  const Counters& counters() const noexcept { return counters_; }
  const TransportSettings& settings() const noexcept { return settings_; }

 private:
  struct AddressKey {
    TransportKind kind;
    sa_family_t family;
    std::uint16_t port;
    std::array<unsigned char, 16> address;
    std::uint32_t scope;
    bool operator==(const AddressKey&) const = default;
  };
  struct AddressKeyHash {
    std::size_t operator()(const AddressKey& key) const noexcept;
  };
  static AddressKey keyOf(TransportKind kind, const sockaddr_storage& address) noexcept;

  Status apply(const TransportSettings& settings, bool force);
  void accept(TransportKind kind, UniqueFd fd, const sockaddr_storage& from, socklen_t length);
  StreamConnection* findConnection(const Peer& to) noexcept;
  std::error_code connect(const Peer& to, StreamConnection*& out);
  void registerConnection(std::unique_ptr<StreamConnection> connection);
  void closeAllConnections();
  void scheduleCleanup() noexcept;
  static int onCleanup(sd_event_source* source, void* self);

  StreamOwner& owner() noexcept { return *this; }

  // StreamOwner
  void streamMessage(StreamConnection& connection, std::string&& bytes) override;
  void streamClosed(StreamConnection& connection, CloseReason reason,
                    std::error_code error) override;
  Counters& mutableCounters() noexcept override { return counters_; }
  const TransportLimits& limits() const noexcept override { return settings_.limits; }
  std::span<char> scratch() noexcept override { return scratch_; }

  sd_event* event_;
  MessageHandler onMessage_;
  SendErrorHandler onSendError_;
  ConnectionClosedHandler onClosed_;
  TransportSettings settings_;
  bool started_ = false;
  bool listenersOpen_ = false;
  bool shuttingDown_ = false;
  sockaddr_storage interface_{};
  Counters counters_;
  std::unique_ptr<UdpEndpoint> udp_;
  std::unique_ptr<StreamListener> tcp_;
  std::unique_ptr<StreamListener> tls_;
  SslCtxPtr serverContext_;
  SslCtxPtr clientContext_;
  std::uint64_t nextConnectionId_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<StreamConnection>> connections_;
  std::unordered_map<AddressKey, std::uint64_t, AddressKeyHash> byAddress_;
  // Closed objects live until the loop is back at the top: callbacks may close what calls them.
  std::vector<std::unique_ptr<StreamConnection>> closedConnections_;
  std::vector<std::unique_ptr<UdpEndpoint>> closedUdp_;
  sd_event_source* cleanup_ = nullptr;
  std::vector<char> scratch_;
};

}  // namespace sipha::transport
