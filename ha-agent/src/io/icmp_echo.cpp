#include "io/icmp_echo.hpp"

#include <netinet/icmp6.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <linux/icmp.h>

namespace sipha::agent::io {
namespace {

constexpr std::size_t kEchoBytes = 8 + 8;  // header, then 8 bytes of payload (RFC 792)

}  // namespace

std::uint16_t internetChecksum(const std::uint8_t* data, std::size_t size) noexcept {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < size; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (size % 2) sum += data[size - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

IcmpEcho::~IcmpEcho() {
  if (fd_ >= 0) ::close(fd_);
}

bool IcmpEcho::open(const std::string& witness, std::string& error) {
  const auto address = SocketAddress::parse(witness, 0);
  if (!address) {
    error = "witness " + witness + " is not an IP address";
    return false;
  }
  witness_ = *address;
  const bool v6 = witness_.family() == AF_INET6;
  const int protocol = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  fd_ = ::socket(witness_.family(), SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd_ < 0) {
    error = std::string("ICMP socket (needs CAP_NET_RAW): ") + std::strerror(errno);
    return false;
  }
  // Only echo replies reach this socket (every ICMP message of the host would otherwise).
  if (v6) {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    ::setsockopt(fd_, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  } else {
    icmp_filter filter{~(1U << ICMP_ECHOREPLY)};
    ::setsockopt(fd_, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
  }
  identifier_ = static_cast<std::uint16_t>(::getpid() ^ 0x5a17);
  return true;
}

bool IcmpEcho::send(std::uint16_t sequence) {
  std::array<std::uint8_t, kEchoBytes> packet{};
  const bool v6 = witness_.family() == AF_INET6;
  packet[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  packet[4] = static_cast<std::uint8_t>(identifier_ >> 8);
  packet[5] = static_cast<std::uint8_t>(identifier_);
  packet[6] = static_cast<std::uint8_t>(sequence >> 8);
  packet[7] = static_cast<std::uint8_t>(sequence);
  std::memcpy(packet.data() + 8, "sipha-wt", 8);
  if (!v6) {
    const std::uint16_t sum = internetChecksum(packet.data(), packet.size());
    packet[2] = static_cast<std::uint8_t>(sum >> 8);
    packet[3] = static_cast<std::uint8_t>(sum);
  }
  return ::sendto(fd_, packet.data(), packet.size(), 0, witness_.get(), witness_.length) ==
         static_cast<ssize_t>(packet.size());
}

std::optional<std::uint16_t> IcmpEcho::readReplies() {
  std::optional<std::uint16_t> answered;
  std::array<std::uint8_t, 1500> buffer;
  const bool v6 = witness_.family() == AF_INET6;
  for (;;) {
    SocketAddress from;
    from.length = sizeof from.storage;
    const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from.storage), &from.length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return answered;  // EAGAIN: drained
    }
    std::size_t offset = 0;
    if (!v6) {  // a raw IPv4 socket hands the IP header too
      if (n < 1) continue;
      offset = static_cast<std::size_t>(buffer[0] & 0x0f) * 4;
    }
    if (static_cast<std::size_t>(n) < offset + 8 || !from.sameAddress(witness_)) continue;
    const std::uint8_t* icmp = buffer.data() + offset;
    if (icmp[0] != (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY)) continue;
    if (((icmp[4] << 8) | icmp[5]) != identifier_) continue;
    answered = static_cast<std::uint16_t>((icmp[6] << 8) | icmp[7]);
  }
}

}  // namespace sipha::agent::io
