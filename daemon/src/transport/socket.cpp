#include "transport/socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "transport/peer_format.hpp"

namespace sipha::transport {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status bindSocket(int type, const sockaddr_storage& address, socklen_t length, int receiveBuffer,
                  UniqueFd& out) {
  UniqueFd fd(::socket(address.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return Status::failure(errnoCode(errno), "socket(): " + std::string(strerror(errno)));
  }
  int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (address.ss_family == AF_INET6) {
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  }
  if (receiveBuffer > 0) {
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof(receiveBuffer));
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    const int error = errno;
    return Status::failure(errnoCode(error), "bind(" + formatAddress(address, length) +
                                                 "): " + std::string(strerror(error)));
  }
  out = std::move(fd);
  return Status::success();
}

std::uint16_t boundPort(int fd) noexcept {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  return addressPort(address);
}

Status connectSocket(const sockaddr_storage& source, const sockaddr_storage& destination,
                     socklen_t destinationLength, UniqueFd& out) {
  UniqueFd fd(::socket(destination.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return Status::failure(errnoCode(errno), "socket(): " + std::string(strerror(errno)));
  }
  int on = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  if (source.ss_family == destination.ss_family) {
    // Originate from sip-interface (the BIG-IP SNATs it to the VIP); port chosen by the kernel.
    sockaddr_storage local = source;
    socklen_t localLength = 0;
    if (local.ss_family == AF_INET) {
      reinterpret_cast<sockaddr_in*>(&local)->sin_port = 0;
      localLength = sizeof(sockaddr_in);
    } else {
      reinterpret_cast<sockaddr_in6*>(&local)->sin6_port = 0;
      localLength = sizeof(sockaddr_in6);
    }
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), localLength) != 0) {
      const int error = errno;
      return Status::failure(errnoCode(error), "bind(): " + std::string(strerror(error)));
    }
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&destination), destinationLength) !=
          0 &&
      errno != EINPROGRESS) {
    const int error = errno;
    return Status::failure(errnoCode(error), "connect(" +
                                                 formatAddress(destination, destinationLength) +
                                                 "): " + std::string(strerror(error)));
  }
  out = std::move(fd);
  return Status::success();
}

}  // namespace sipha::transport
