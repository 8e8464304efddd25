#pragma once
// The command side of rtnetlink through libnl-route-3: reads links, addresses and routes into an
// ObservedState (libnl caches) and carries out one planned Action at a time, waiting for the
// kernel's ACK. Library code: returns errors (libnl's text), never logs, never throws.
#include <memory>
#include <string>

#include "kernel/observed_state.hpp"
#include "kernel/reconcile_plan.hpp"

struct nl_sock;

namespace sipha::netcfg::kernel {

class NetlinkClient {
 public:
  NetlinkClient();
  ~NetlinkClient();
  NetlinkClient(const NetlinkClient&) = delete;
  NetlinkClient& operator=(const NetlinkClient&) = delete;

  // Connects a NETLINK_ROUTE socket in the caller's network namespace. Empty string: success.
  std::string open();

  // Reads links, addresses and the main table's unicast routes. Empty string: success.
  std::string read(ObservedState& out);

  // Performs `action`; `observed` supplies the link indexes. Empty string: success.
  std::string apply(const Action& action, const ObservedState& observed);

 private:
  struct SocketDeleter {
    void operator()(nl_sock* socket) const noexcept;
  };
  std::unique_ptr<nl_sock, SocketDeleter> socket_;
};

}  // namespace sipha::netcfg::kernel
