#include "kernel/netlink_watch.hpp"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <cerrno>

namespace sipha::netcfg::kernel {
namespace {

constexpr int kReceiveBuffer = 1 << 20;  // room for a burst of notifications

}  // namespace

void NetlinkWatch::SocketDeleter::operator()(nl_sock* socket) const noexcept {
  nl_socket_free(socket);
}

NetlinkWatch::NetlinkWatch(Handler handler) : handler_(std::move(handler)) {}

NetlinkWatch::~NetlinkWatch() { stop(); }

std::string NetlinkWatch::start(sd_event* event) {
  stop();
  socket_.reset(nl_socket_alloc());
  if (!socket_) return "cannot allocate a netlink socket";
  nl_sock* socket = socket_.get();
  nl_socket_disable_seq_check(socket);  // notifications carry no sequence of ours
  nl_socket_modify_cb(socket, NL_CB_VALID, NL_CB_CUSTOM, &NetlinkWatch::onMessage, this);
  int r = nl_connect(socket, NETLINK_ROUTE);
  if (r >= 0) {
    r = nl_socket_add_memberships(socket, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                  RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, 0);
  }
  if (r >= 0) r = nl_socket_set_nonblocking(socket);
  if (r >= 0) r = nl_socket_set_buffer_size(socket, kReceiveBuffer, 0);
  if (r < 0) {
    stop();
    return std::string{"cannot subscribe to rtnetlink notifications: "} + nl_geterror(-r);
  }
  r = sd_event_add_io(event, &source_, nl_socket_get_fd(socket), EPOLLIN, &NetlinkWatch::onReadable,
                      this);
  if (r < 0) {
    source_ = nullptr;
    stop();
    return "cannot watch the netlink socket";
  }
  return {};
}

void NetlinkWatch::stop() noexcept {
  source_ = sd_event_source_disable_unref(source_);
  socket_.reset();
}

int NetlinkWatch::onReadable(sd_event_source*, int, std::uint32_t, void* userdata) noexcept {
  auto* self = static_cast<NetlinkWatch*>(userdata);
  // Drain the socket: nl_recvmsgs_default returns after one read; loop until it would block.
  for (int reads = 0; reads < 64; ++reads) {
    const int r = nl_recvmsgs_default(self->socket_.get());
    if (r >= 0) continue;
    if (r == -NLE_AGAIN) break;
    if (r == -NLE_NOMEM || r == -NLE_DUMP_INTR || r == -NLE_MSG_OVERFLOW) {
      // ENOBUFS from the kernel surfaces as NLE_NOMEM: notifications were dropped.
      if (self->handler_) self->handler_(NetlinkEvent::Overrun);
      continue;
    }
    break;  // another error: keep the source; the next event wakes us again
  }
  return 0;
}

int NetlinkWatch::onMessage(nl_msg* message, void* userdata) noexcept {
  auto* self = static_cast<NetlinkWatch*>(userdata);
  if (!self->handler_) return NL_OK;
  switch (nlmsg_hdr(message)->nlmsg_type) {
    case RTM_DELADDR:
      self->handler_(NetlinkEvent::AddressRemoved);
      break;
    case RTM_DELROUTE:
      self->handler_(NetlinkEvent::RouteRemoved);
      break;
    case RTM_NEWLINK:
    case RTM_DELLINK:
      self->handler_(NetlinkEvent::LinkChanged);
      break;
    default:
      break;
  }
  return NL_OK;
}

}  // namespace sipha::netcfg::kernel
