#pragma once
// The event side of rtnetlink: a second libnl socket subscribed to address, route and link
// notifications, read from the sd-event loop (keepalived's one-socket-for-commands,
// one-for-events split). It does not decide anything: it tells its owner that the kernel's
// network changed in a way that may undo sipha's work (an address or route deleted, a link
// changed, or notifications lost), and the owner reconciles.
#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

struct nl_sock;
struct nl_msg;

namespace sipha::netcfg::kernel {

enum class NetlinkEvent : std::uint8_t {
  AddressRemoved,  // RTM_DELADDR
  RouteRemoved,    // RTM_DELROUTE
  LinkChanged,     // RTM_NEWLINK / RTM_DELLINK
  Overrun,         // ENOBUFS: notifications were lost, the state must be re-read
};

class NetlinkWatch {
 public:
  using Handler = std::function<void(NetlinkEvent event)>;

  explicit NetlinkWatch(Handler handler);
  ~NetlinkWatch();
  NetlinkWatch(const NetlinkWatch&) = delete;
  NetlinkWatch& operator=(const NetlinkWatch&) = delete;

  // Subscribes (RTNLGRP_LINK, IPV4/IPV6_IFADDR, IPV4/IPV6_ROUTE) and adds the socket to
  // `event`. Empty string: success.
  std::string start(sd_event* event);
  void stop() noexcept;

 private:
  struct SocketDeleter {
    void operator()(nl_sock* socket) const noexcept;
  };
  static int onReadable(sd_event_source* source, int fd, std::uint32_t revents,
                        void* userdata) noexcept;
  static int onMessage(nl_msg* message, void* userdata) noexcept;

  Handler handler_;
  std::unique_ptr<nl_sock, SocketDeleter> socket_;
  sd_event_source* source_ = nullptr;
};

}  // namespace sipha::netcfg::kernel
