#include "core/response_route.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace sipha::core {
namespace {

std::uint16_t portOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
}

void setPort(sockaddr_storage& address, std::uint16_t port) {
  if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6&>(address).sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in&>(address).sin_port = htons(port);
  }
}

std::string_view hostText(const sockaddr_storage& address, std::array<char, 46>& buffer) {
  const void* raw =
      address.ss_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(address).sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(address).sin_addr);
  if (inet_ntop(address.ss_family, raw, buffer.data(), buffer.size()) == nullptr) return {};
  return std::string_view{buffer.data()};
}

}  // namespace

void computeResponseRoute(const sip::Via& topVia, const transport::Peer& source,
                          ResponseRoute& route) {
  route.destination = source;
  route.received = {};
  route.rport = 0;
  const std::string_view sourceHost = hostText(source.address, route.receivedBuffer);
  // 18.2.1: received= when the sent-by host is not the packet's source address. An IPv6
  // sent-by carries brackets (RFC 5118), the source text does not.
  std::string_view sentBy = topVia.host;
  if (sentBy.size() >= 2 && sentBy.front() == '[' && sentBy.back() == ']') {
    sentBy = sentBy.substr(1, sentBy.size() - 2);
  }
  if (!sourceHost.empty() && sentBy != sourceHost) route.received = sourceHost;
  if (topVia.hasRport) route.rport = portOf(source.address);
  // 18.2.2: reliable transports answer on the connection the request came in on. Unreliable:
  // to the source address, at the rport (RFC 3581) or the sent-by port (default 5060).
  if (!transport::isReliable(source.kind) && !topVia.hasRport) {
    setPort(route.destination.address, topVia.hasPort ? topVia.port : 5060);
  }
}

}  // namespace sipha::core
