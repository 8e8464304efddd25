#include "halink/link.hpp"

#include <cstring>
#include <limits>

#include "halink/link_core.hpp"
#include "transport/peer_format.hpp"

namespace sipha::halink {

std::string_view closeReasonName(CloseReason reason) noexcept {
  switch (reason) {
    case CloseReason::PeerClosed:
      return "peer closed";
    case CloseReason::ReadError:
      return "read error";
    case CloseReason::WriteError:
      return "write error";
    case CloseReason::ConnectFailed:
      return "connect failed";
    case CloseReason::HandshakeFailed:
      return "handshake failed";
    case CloseReason::Oversized:
      return "oversized frame";
    case CloseReason::OutputLimit:
      return "output limit";
    case CloseReason::IdleTimeout:
      return "idle timeout";
    case CloseReason::HandshakeTimeout:
      return "handshake timeout";
    case CloseReason::Local:
      return "closed locally";
  }
  return "closed";
}

// ---- LinkCore ----

LinkCore::LinkCore(sd_event* event_, LinkHandler& handler_)
    : event(sd_event_ref(event_)), handler(handler_) {}

LinkCore::~LinkCore() {
  reaper_ = sd_event_source_disable_unref(reaper_);
  listener.reset();
  closed.clear();
  connections.clear();  // no handler calls: the owner is going away
  sd_event_unref(event);
}

LinkConnection& LinkCore::add(bool inbound, transport::UniqueFd fd, const sockaddr_storage& peer,
                              socklen_t peerLength) {
  const std::uint64_t id = nextId_++;
  auto connection =
      std::make_unique<LinkConnection>(*this, id, inbound, std::move(fd), peer, peerLength);
  LinkConnection& added = *connection;
  connections.emplace(id, std::move(connection));
  return added;
}

void LinkCore::accept(transport::UniqueFd fd, const sockaddr_storage& from, socklen_t length) {
  if (!tls || liveConnections() >= settings.maxConnections) {
    ++counters.connectionsRefused;
    return;  // fd closes here
  }
  ++counters.connectionsAccepted;
  add(true, std::move(fd), from, length).start(false);
}

void LinkCore::scheduleReap(LinkConnection& connection) {
  closed.push_back(&connection);
  if (reaper_ == nullptr && sd_event_add_defer(event, &reaper_, &LinkCore::onReap, this) < 0) {
    reaper_ = nullptr;  // out of memory: reported at the next close or when the Link goes
    return;
  }
  sd_event_source_set_enabled(reaper_, SD_EVENT_ONESHOT);
}

int LinkCore::onReap(sd_event_source*, void* self) {
  auto* core = static_cast<LinkCore*>(self);
  // Handlers may close more connections meanwhile: they are appended and reported here too.
  for (std::size_t i = 0; i < core->closed.size(); ++i) {
    LinkConnection* connection = core->closed[i];
    core->handler.linkClosed(*connection, connection->closeReason(), connection->closeDetail());
    core->connections.erase(connection->id());
  }
  core->closed.clear();
  return 0;
}

// ---- Link ----

Link::Link(sd_event* event, LinkHandler& handler)
    : core_(std::make_unique<LinkCore>(event, handler)) {}

Link::~Link() = default;

bool Link::configure(const LinkSettings& settings, std::string& error) {
  if (settings.maxFrameBytes == 0 ||
      settings.maxFrameBytes > std::numeric_limits<std::uint32_t>::max()) {
    error = "maxFrameBytes must be between 1 and 4294967295";
    return false;
  }
  if (settings.maxOutputBytes < settings.maxFrameBytes + kFrameHeaderBytes) {
    error = "maxOutputBytes must hold at least one frame of maxFrameBytes";
    return false;
  }
  if (settings.handshakeTimeoutMs == 0) {
    error = "handshakeTimeoutMs must be above 0";
    return false;
  }
  std::shared_ptr<const TlsContexts> tls;
  if (!buildTlsContexts(settings, tls, error)) return false;
  core_->settings = settings;
  core_->tls = std::move(tls);
  return true;
}

bool Link::listen(const std::string& address, std::uint16_t port, std::string& error) {
  if (!core_->tls) {
    error = "the HA link is not configured";
    return false;
  }
  sockaddr_storage local{};
  socklen_t length = 0;
  if (!transport::parseLiteralAddress(address, port, local, length)) {
    error = "HA link address '" + address + "' is not a literal IPv4 or IPv6 address";
    return false;
  }
  LinkCore* core = core_.get();
  auto listener = std::make_unique<transport::StreamListener>(
      transport::TransportKind::Tls,
      [core](transport::TransportKind, transport::UniqueFd fd, const sockaddr_storage& from,
             socklen_t fromLength) { core->accept(std::move(fd), from, fromLength); },
      core->counters.acceptErrors);
  transport::Status status = listener->bind(local, length);
  if (!status && core->listener && status.code() == std::errc::address_in_use) {
    core->listener.reset();  // listening again on the port we hold
    status = listener->bind(local, length);
  }
  if (status) status = listener->open(core->event);
  if (!status) {
    error = "HA link listener: " + status.message();
    return false;
  }
  core->listener = std::move(listener);
  return true;
}

std::uint16_t Link::listenPort() const noexcept {
  return core_->listener ? core_->listener->port() : 0;
}

void Link::stopListening() noexcept { core_->listener.reset(); }

Connection* Link::connect(const std::string& address, std::uint16_t port, std::string& error,
                          const std::string& source) {
  LinkCore& core = *core_;
  if (!core.tls) {
    error = "the HA link is not configured";
    return nullptr;
  }
  sockaddr_storage remote{};
  socklen_t length = 0;
  if (!transport::parseLiteralAddress(address, port, remote, length)) {
    error = "HA peer address '" + address + "' is not a literal IPv4 or IPv6 address";
    return nullptr;
  }
  sockaddr_storage local{};  // AF_UNSPEC unless `source`: the kernel chooses the source address
  socklen_t localLength = 0;
  if (!source.empty() && !transport::parseLiteralAddress(source, 0, local, localLength)) {
    error = "HA source address '" + source + "' is not a literal IPv4 or IPv6 address";
    return nullptr;
  }
  ++core.counters.connectionsOpened;
  if (core.liveConnections() >= core.settings.maxConnections) {
    LinkConnection& connection = core.add(false, transport::UniqueFd(), remote, length);
    ++core.counters.connectFailures;
    connection.fail(
        CloseReason::ConnectFailed,
        "maxConnections (" + std::to_string(core.settings.maxConnections) + ") reached");
    return &connection;
  }
  transport::UniqueFd fd;
  const transport::Status status = transport::connectSocket(local, remote, length, fd);
  LinkConnection& connection = core.add(false, std::move(fd), remote, length);
  if (!status) {
    ++core.counters.connectFailures;
    connection.fail(CloseReason::ConnectFailed, status.message());
  } else {
    connection.start(true);
  }
  return &connection;
}

std::size_t Link::connectionCount() const noexcept { return core_->connections.size(); }

const LinkCounters& Link::counters() const noexcept { return core_->counters; }

}  // namespace sipha::halink
