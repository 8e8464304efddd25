#pragma once
// Owned file descriptors and the socket set-up the transports share (non-blocking, CLOEXEC,
// SO_REUSEADDR, bind to the literal sip-interface address).
#include <sys/socket.h>

#include <cstdint>
#include <utility>

#include "transport/status.hpp"

namespace sipha::transport {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// A non-blocking socket of `type` (SOCK_DGRAM / SOCK_STREAM) bound to `address`, with
// SO_REUSEADDR; IPv6 sockets are IPV6_V6ONLY so v4 and v6 listeners can coexist.
// `receiveBuffer` > 0 sets SO_RCVBUF (best effort: the kernel caps it at rmem_max).
Status bindSocket(int type, const sockaddr_storage& address, socklen_t length, int receiveBuffer,
                  UniqueFd& out);

// The port the kernel chose (for port 0) or 0 on error.
std::uint16_t boundPort(int fd) noexcept;

// Starts a non-blocking connect from `source` (may be family-mismatched: then unbound).
Status connectSocket(const sockaddr_storage& source, const sockaddr_storage& destination,
                     socklen_t destinationLength, UniqueFd& out);

}  // namespace sipha::transport
