#pragma once
// The Link's state (internal), shared with its connections: settings, TLS contexts, counters,
// the listener, the connections and the reaper that reports closed ones from the loop.
#include <systemd/sd-event.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "halink/connection.hpp"
#include "halink/link.hpp"
#include "halink/tls.hpp"
#include "transport/socket.hpp"
#include "transport/stream_listener.hpp"

namespace sipha::halink {

class LinkCore {
 public:
  LinkCore(sd_event* event, LinkHandler& handler);
  ~LinkCore();
  LinkCore(const LinkCore&) = delete;
  LinkCore& operator=(const LinkCore&) = delete;

  LinkConnection& add(bool inbound, transport::UniqueFd fd, const sockaddr_storage& peer,
                      socklen_t peerLength);
  void accept(transport::UniqueFd fd, const sockaddr_storage& from, socklen_t length);
  // A connection is Closed: linkClosed and its destruction follow from a defer source.
  void scheduleReap(LinkConnection& connection);
  // Connections not yet closed.
  std::size_t liveConnections() const noexcept { return connections.size() - closed.size(); }

  sd_event* const event;
  LinkHandler& handler;
  LinkSettings settings;
  std::shared_ptr<const TlsContexts> tls;  // null until configure()
  LinkCounters counters;
  std::unique_ptr<transport::StreamListener> listener;
  std::unordered_map<std::uint64_t, std::unique_ptr<LinkConnection>> connections;
  std::vector<LinkConnection*> closed;  // waiting for linkClosed, in closing order

 private:
  static int onReap(sd_event_source* source, void* self);

  sd_event_source* reaper_ = nullptr;
  std::uint64_t nextId_ = 1;
};

}  // namespace sipha::halink
