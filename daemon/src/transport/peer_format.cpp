#include "transport/peer_format.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <charconv>
#include <cstring>

namespace sipha::transport {

namespace {

std::string_view lowerName(TransportKind kind) {
  switch (kind) {
    case TransportKind::Udp:
      return "udp";
    case TransportKind::Tcp:
      return "tcp";
    case TransportKind::Tls:
      return "tls";
  }
  return "udp";
}

}  // namespace

std::string formatHost(const sockaddr_storage& address) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    if (inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size()) == nullptr) return {};
    return text.data();
  }
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    if (inet_ntop(AF_INET6, &v6->sin6_addr, text.data(), text.size()) == nullptr) return {};
    return text.data();
  }
  return {};
}

std::uint16_t addressPort(const sockaddr_storage& address) noexcept {
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return 0;
}

std::string formatAddress(const sockaddr_storage& address, socklen_t /*length*/) {
  std::string host = formatHost(address);
  if (host.empty()) return {};
  std::string text;
  text.reserve(host.size() + 8);
  if (address.ss_family == AF_INET6) {
    text += '[';
    text += host;
    text += ']';
  } else {
    text += host;
  }
  text += ':';
  text += std::to_string(addressPort(address));
  return text;
}

std::string formatPeer(const Peer& peer) {
  std::string text(lowerName(peer.kind));
  text += ':';
  text += formatAddress(peer.address, peer.addressLength);
  if (isReliable(peer.kind) && peer.connectionId != 0) {
    text += '#';
    text += std::to_string(peer.connectionId);
  }
  return text;
}

bool parsePeer(std::string_view text, Peer& peer) noexcept {
  TransportKind kind = TransportKind::Udp;
  if (text.starts_with("tcp:")) {
    kind = TransportKind::Tcp;
  } else if (text.starts_with("tls:")) {
    kind = TransportKind::Tls;
  } else if (!text.starts_with("udp:")) {
    return false;
  }
  text.remove_prefix(4);
  std::uint64_t connectionId = 0;
  if (const auto hash = text.find('#'); hash != std::string_view::npos) {
    const std::string_view digits = text.substr(hash + 1);
    const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), connectionId);
    if (!isReliable(kind) || parsed.ec != std::errc{} ||
        parsed.ptr != digits.data() + digits.size()) {
      return false;
    }
    text = text.substr(0, hash);
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::uint16_t port = 0;
  const std::string_view portText = text.substr(colon + 1);
  const auto parsed = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (parsed.ec != std::errc{} || parsed.ptr != portText.data() + portText.size()) return false;
  if (!makePeer(kind, text.substr(0, colon), port, peer)) return false;
  peer.connectionId = connectionId;
  return true;
}

bool parseLiteralAddress(std::string_view host, std::uint16_t port, sockaddr_storage& address,
                         socklen_t& length) noexcept {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::array<char, INET6_ADDRSTRLEN + 1> text{};
  if (host.empty() || host.size() >= text.size()) return false;
  std::memcpy(text.data(), host.data(), host.size());
  address = sockaddr_storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  if (inet_pton(AF_INET, text.data(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
    return true;
  }
  address = sockaddr_storage{};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET6, text.data(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
    return true;
  }
  address = sockaddr_storage{};
  length = 0;
  return false;
}

bool makePeer(TransportKind kind, std::string_view host, std::uint16_t port, Peer& peer) noexcept {
  peer = Peer{};
  peer.kind = kind;
  return parseLiteralAddress(host, port, peer.address, peer.addressLength);
}

}  // namespace sipha::transport
