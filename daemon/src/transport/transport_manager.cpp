#include "transport/transport_manager.hpp"

#include <netinet/in.h>
#include <signal.h>

#include <cerrno>
#include <cstring>

#include "transport/peer_format.hpp"

namespace sipha::transport {

namespace {

constexpr std::size_t kScratchSize = 64 * 1024;

void setPort(sockaddr_storage& address, std::uint16_t port) noexcept {
  if (address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(port);
  } else if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(port);
  }
}

socklen_t lengthOf(const sockaddr_storage& address) noexcept {
  return address.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

Status prefixed(const char* what, const Status& status) {
  return Status::failure(status.code(), std::string(what) + ": " + status.message());
}

void ignoreSigpipe() noexcept {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, nullptr);
  }
}

}  // namespace

std::size_t TransportManager::AddressKeyHash::operator()(const AddressKey& key) const noexcept {
  // FNV-1a over the fields.
  std::size_t hash = 1469598103934665603ull;
  auto mix = [&hash](unsigned value) { hash = (hash ^ value) * 1099511628211ull; };
  mix(static_cast<unsigned>(key.kind));
  mix(key.family);
  mix(key.port);
  for (unsigned char byte : key.address) mix(byte);
  mix(key.scope);
  return hash;
}

TransportManager::AddressKey TransportManager::keyOf(TransportKind kind,
                                                     const sockaddr_storage& address) noexcept {
  AddressKey key{kind, address.ss_family, addressPort(address), {}, 0};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    std::memcpy(key.address.data(), &v4->sin_addr, sizeof(v4->sin_addr));
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    std::memcpy(key.address.data(), &v6->sin6_addr, sizeof(v6->sin6_addr));
    key.scope = v6->sin6_scope_id;
  }
  return key;
}

TransportManager::TransportManager(sd_event* event, MessageHandler onMessage)
    : event_(sd_event_ref(event)), onMessage_(std::move(onMessage)), scratch_(kScratchSize) {
  ignoreSigpipe();
}

TransportManager::~TransportManager() {
  shuttingDown_ = true;
  closeAllConnections();
  closedConnections_.clear();
  closedUdp_.clear();
  udp_.reset();
  tcp_.reset();
  tls_.reset();
  cleanup_ = sd_event_source_disable_unref(cleanup_);
  sd_event_unref(event_);
}

Status TransportManager::start(const TransportSettings& settings, bool streamListenersOpen) {
  listenersOpen_ = streamListenersOpen;
  Status status = apply(settings, true);
  if (status) started_ = true;
  return status;
}

Status TransportManager::reconfigure(const TransportSettings& settings) {
  return apply(settings, !started_);
}

Status TransportManager::apply(const TransportSettings& settings, bool force) {
  sockaddr_storage address{};
  socklen_t length = 0;
  if (!parseLiteralAddress(settings.interface, 0, address, length)) {
    return Status::failure(
        std::make_error_code(std::errc::invalid_argument),
        "sip-interface '" + settings.interface + "' is not a literal IPv4 or IPv6 address");
  }
  if (settings.limits.maxMessageSize == 0 || settings.limits.maxInputBuffer == 0) {
    return Status::failure(std::make_error_code(std::errc::invalid_argument),
                           "transport limits must be positive");
  }
  const TransportSettings& old = settings_;
  const bool moved = force || settings.interface != old.interface;
  const bool udpChange =
      moved || settings.port != old.port || settings.udpEnabled != old.udpEnabled;
  const bool tcpChange =
      moved || settings.port != old.port || settings.tcpEnabled != old.tcpEnabled;
  const bool tlsChange = moved || settings.tlsPort != old.tlsPort;
  const bool contextChange =
      force || settings.tls != old.tls || (settings.tlsPort.has_value() && !serverContext_);

  // Prepare everything first; commit only when all of it worked.
  std::unique_ptr<UdpEndpoint> udp;
  std::unique_ptr<StreamListener> tcp;
  std::unique_ptr<StreamListener> tls;
  SslCtxPtr serverContext;
  SslCtxPtr clientContext;
  auto onAccept = [this](TransportKind kind, UniqueFd fd, const sockaddr_storage& from,
                         socklen_t fromLength) { accept(kind, std::move(fd), from, fromLength); };
  if (contextChange) {
    if (settings.tlsPort) {
      if (Status status = createServerContext(settings.tls, serverContext); !status) return status;
    }
    if (Status status = createClientContext(settings.tls, clientContext); !status) return status;
  }
  if (udpChange && settings.udpEnabled) {
    setPort(address, settings.port);
    udp = std::make_unique<UdpEndpoint>(onMessage_, counters_);
    if (Status status = udp->open(event_, address, length, settings.limits); !status) {
      return prefixed("UDP", status);
    }
  }
  if (tcpChange && settings.tcpEnabled) {
    setPort(address, settings.port);
    tcp = std::make_unique<StreamListener>(TransportKind::Tcp, onAccept, counters_.acceptErrors);
    if (Status status = tcp->bind(address, length); !status) return prefixed("TCP", status);
    if (listenersOpen_) {
      if (Status status = tcp->open(event_); !status) return prefixed("TCP", status);
    }
  }
  if (tlsChange && settings.tlsPort) {
    setPort(address, *settings.tlsPort);
    tls = std::make_unique<StreamListener>(TransportKind::Tls, onAccept, counters_.acceptErrors);
    if (Status status = tls->bind(address, length); !status) return prefixed("TLS", status);
    if (listenersOpen_) {
      if (Status status = tls->open(event_); !status) return prefixed("TLS", status);
    }
  }

  // Commit.
  if (udpChange) {
    if (udp_) {
      udp_->close();  // may be running its handler right now: destroyed later
      closedUdp_.push_back(std::move(udp_));
      scheduleCleanup();
    }
    udp_ = std::move(udp);
  } else if (udp_ && !(settings.limits == old.limits)) {
    udp_->setLimits(settings.limits);
  }
  if (tcpChange) tcp_ = std::move(tcp);
  if (tlsChange) tls_ = std::move(tls);
  if (contextChange) {
    serverContext_ = std::move(serverContext);
    clientContext_ = std::move(clientContext);
  }
  if (!settings.tlsPort) serverContext_.reset();
  settings_ = settings;
  setPort(address, 0);
  interface_ = address;
  return Status::success();
}

Status TransportManager::setStreamListenersOpen(bool open) {
  if (!open) {
    listenersOpen_ = false;
    if (tcp_) tcp_->close();
    if (tls_) tls_->close();
    closeAllConnections();
    return Status::success();
  }
  if (tcp_) {
    if (Status status = tcp_->open(event_); !status) return prefixed("TCP", status);
  }
  if (tls_) {
    if (Status status = tls_->open(event_); !status) {
      if (tcp_) tcp_->close();
      return prefixed("TLS", status);
    }
  }
  listenersOpen_ = true;
  return Status::success();
}

std::uint16_t TransportManager::localPort(TransportKind kind) const noexcept {
  switch (kind) {
    case TransportKind::Udp:
      return udp_ ? udp_->port() : 0;
    case TransportKind::Tcp:
      return tcp_ ? tcp_->port() : 0;
    case TransportKind::Tls:
      return tls_ ? tls_->port() : 0;
  }
  return 0;
}

void TransportManager::accept(TransportKind kind, UniqueFd fd, const sockaddr_storage& from,
                              socklen_t length) {
  if (connections_.size() >= settings_.limits.maxConnections) {
    ++counters_.connectionLimitHits;
    ++counters_.connectionsRefused;
    return;  // fd closes here
  }
  SslPtr ssl;
  if (kind == TransportKind::Tls) {
    if (!serverContext_ || !(ssl = SslPtr(SSL_new(serverContext_.get())))) {
      ++counters_.connectionsRefused;
      return;
    }
  }
  Peer peer;
  peer.kind = kind;
  peer.address = from;
  peer.addressLength = length;
  peer.connectionId = nextConnectionId_++;
  auto connection =
      std::make_unique<StreamConnection>(owner(), std::move(fd), peer, std::move(ssl), false, true);
  if (!connection->start(event_)) {
    ++counters_.connectionsRefused;
    return;
  }
  ++counters_.connectionsAccepted;
  registerConnection(std::move(connection));
}

void TransportManager::registerConnection(std::unique_ptr<StreamConnection> connection) {
  const std::uint64_t id = connection->id();
  byAddress_[keyOf(connection->peer().kind, connection->peer().address)] = id;
  connections_.emplace(id, std::move(connection));
}

StreamConnection* TransportManager::findConnection(const Peer& to) noexcept {
  if (to.connectionId != 0) {
    auto found = connections_.find(to.connectionId);
    if (found != connections_.end() && found->second->peer().kind == to.kind) {
      return found->second.get();
    }
  }
  auto byAddress = byAddress_.find(keyOf(to.kind, to.address));
  if (byAddress == byAddress_.end()) return nullptr;
  auto found = connections_.find(byAddress->second);
  return found == connections_.end() ? nullptr : found->second.get();
}

std::error_code TransportManager::connect(const Peer& to, StreamConnection*& out) {
  KindCounters& kind = counters_.of(to.kind);
  if (connections_.size() >= settings_.limits.maxConnections) {
    ++counters_.connectionLimitHits;
    ++kind.sendErrors;
    return errnoCode(EMFILE);
  }
  if (to.address.ss_family != AF_INET && to.address.ss_family != AF_INET6) {
    ++kind.sendErrors;
    return errnoCode(EAFNOSUPPORT);
  }
  SslPtr ssl;
  if (to.kind == TransportKind::Tls) {
    if (!clientContext_ || !(ssl = SslPtr(SSL_new(clientContext_.get())))) {
      ++kind.sendErrors;
      return errnoCode(ENOPROTOOPT);
    }
  }
  UniqueFd fd;
  const socklen_t length = to.addressLength != 0 ? to.addressLength : lengthOf(to.address);
  if (Status status = connectSocket(interface_, to.address, length, fd); !status) {
    ++counters_.connectFailures;
    ++kind.sendErrors;
    return status.code();
  }
  Peer peer = to;
  peer.addressLength = length;
  peer.connectionId = nextConnectionId_++;
  auto connection =
      std::make_unique<StreamConnection>(owner(), std::move(fd), peer, std::move(ssl), true, false);
  if (Status status = connection->start(event_); !status) {
    ++kind.sendErrors;
    return status.code();
  }
  ++counters_.connectionsOpened;
  out = connection.get();
  registerConnection(std::move(connection));
  return {};
}

std::error_code TransportManager::send(const Peer& to, std::string_view bytes) {
  if (to.kind == TransportKind::Udp) {
    if (!udp_) {
      ++counters_.of(TransportKind::Udp).sendErrors;
      return errnoCode(ENOTCONN);
    }
    return udp_->sendTo(to, bytes);
  }
  StreamConnection* connection = findConnection(to);
  if (connection == nullptr) {
    if (std::error_code error = connect(to, connection)) return error;
  }
  return connection->send(bytes);
}

bool TransportManager::hasConnection(std::uint64_t connectionId) const noexcept {
  return connections_.contains(connectionId);
}

void TransportManager::closeConnection(std::uint64_t connectionId) {
  auto found = connections_.find(connectionId);
  if (found != connections_.end()) found->second->close(CloseReason::Local);
}

void TransportManager::closeAllConnections() {
  // Detach first: closing calls back into streamClosed, which edits the maps.
  std::vector<std::unique_ptr<StreamConnection>> closing;
  closing.reserve(connections_.size());
  for (auto& [id, connection] : connections_) closing.push_back(std::move(connection));
  connections_.clear();
  byAddress_.clear();
  for (auto& connection : closing) {
    connection->close(CloseReason::Local);
    closedConnections_.push_back(std::move(connection));
  }
  if (!shuttingDown_) scheduleCleanup();
}

void TransportManager::streamMessage(StreamConnection& connection, std::string&& bytes) {
  onMessage_(std::move(bytes), connection.peer());
}

void TransportManager::streamClosed(StreamConnection& connection, CloseReason reason,
                                    std::error_code error) {
  const Peer peer = connection.peer();
  const bool hadOutput = connection.pendingOutput() > 0;
  auto found = connections_.find(peer.connectionId);
  if (found != connections_.end()) {
    closedConnections_.push_back(std::move(found->second));
    connections_.erase(found);
    auto byAddress = byAddress_.find(keyOf(peer.kind, peer.address));
    if (byAddress != byAddress_.end() && byAddress->second == peer.connectionId) {
      byAddress_.erase(byAddress);
    }
    scheduleCleanup();
  }
  if (shuttingDown_) return;
  // Output that never left, on a connection we opened (connect or TLS handshake failed) or one
  // the peer opened (a phone's flow that closed): the sender must know (RFC 3261 17.1.4).
  if (hadOutput && onSendError_) {
    onSendError_(peer, error ? error : errnoCode(ECONNABORTED));
  }
  if (onClosed_) onClosed_(peer, reason);
}

void TransportManager::scheduleCleanup() noexcept {
  if (cleanup_ == nullptr) {
    if (sd_event_add_defer(event_, &cleanup_, &TransportManager::onCleanup, this) < 0) {
      cleanup_ = nullptr;
      return;  // retried at the next close
    }
    sd_event_source_set_description(cleanup_, "sip-transport-cleanup");
  }
  sd_event_source_set_enabled(cleanup_, SD_EVENT_ONESHOT);
}

int TransportManager::onCleanup(sd_event_source*, void* self) {
  auto* manager = static_cast<TransportManager*>(self);
  manager->closedConnections_.clear();
  manager->closedUdp_.clear();
  return 0;
}

}  // namespace sipha::transport
