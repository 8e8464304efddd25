#include "test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "transport/peer_format.hpp"
#include "transport/self_signed_certificate.hpp"

namespace sipha::transport::test {

Loop::Loop() { BOOST_REQUIRE_EQUAL(sd_event_new(&event_), 0); }

Loop::~Loop() { sd_event_unref(event_); }

bool Loop::runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    BOOST_REQUIRE_GE(sd_event_run(event_, 10'000), 0);
  }
  return true;
}

void Loop::drain() {
  for (int i = 0; i < 100; ++i) {
    if (sd_event_run(event_, 0) <= 0) break;
  }
}

Node::Node(Loop& loop)
    : manager(loop.get(), [this](std::string&& bytes, const Peer& from) {
        received.push_back(Received{std::move(bytes), from});
      }) {}

TransportSettings loopbackSettings(const std::string& interface) {
  TransportSettings settings;
  settings.interface = interface;
  settings.port = 0;
  settings.limits.udpReceiveBuffer = 256 * 1024;
  return settings;
}

sockaddr_storage loopbackAddress(const std::string& host, std::uint16_t port, socklen_t& length) {
  sockaddr_storage address{};
  BOOST_REQUIRE(parseLiteralAddress(host, port, address, length));
  return address;
}

RawSocket::RawSocket(RawSocket&& other) noexcept
    : in(std::move(other.in)), closed(other.closed), fd_(other.fd_) {
  other.fd_ = -1;
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int RawSocket::connectTcp(const std::string& host, std::uint16_t port) {
  socklen_t length = 0;
  const sockaddr_storage address = loopbackAddress(host, port, length);
  fd_ = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE_GE(fd_, 0);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) return errno;
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  return 0;
}

bool RawSocket::openUdp(const std::string& host) {
  socklen_t length = 0;
  const sockaddr_storage address = loopbackAddress(host, 0, length);
  fd_ = ::socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  return fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0;
}

void RawSocket::sendAll(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    BOOST_REQUIRE_GT(n, 0);
    sent += static_cast<std::size_t>(n);
  }
}

void RawSocket::sendTo(const std::string& bytes, const std::string& host, std::uint16_t port) {
  socklen_t length = 0;
  const sockaddr_storage address = loopbackAddress(host, port, length);
  BOOST_REQUIRE_EQUAL(::sendto(fd_, bytes.data(), bytes.size(), 0,
                               reinterpret_cast<const sockaddr*>(&address), length),
                      static_cast<ssize_t>(bytes.size()));
}

bool RawSocket::poll() {
  char buffer[70000];
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) {
      in.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) closed = true;
    return !closed;
  }
}

std::uint16_t RawSocket::localPort() const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
  return addressPort(address);
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/sipha-transport-XXXXXX";
  BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

TlsSettings makeCertificate(const TempDir& dir, const std::string& name,
                            const std::string& commonName) {
  std::string certificate;
  std::string key;
  const Status generated = generateSelfSignedPem(commonName, certificate, key);
  BOOST_REQUIRE_MESSAGE(generated.ok(), generated.message());
  TlsSettings tls;
  tls.certificateFile = dir.path() + "/" + name + ".crt";
  tls.privateKeyFile = dir.path() + "/" + name + ".key";
  BOOST_REQUIRE(writeFileAtomically(tls.certificateFile, certificate, 0644).ok());
  BOOST_REQUIRE(writeFileAtomically(tls.privateKeyFile, key, 0600).ok());
  return tls;
}

std::string sipMessage(const std::string& body, const std::string& callId) {
  return "MESSAGE sip:bob@example.com SIP/2.0\r\n"
         "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK776asdhds\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:bob@example.com>\r\n"
         "From: <sip:alice@example.com>;tag=1928301774\r\n"
         "Call-ID: " +
         callId +
         "\r\n"
         "CSeq: 1 MESSAGE\r\n"
         "Content-Type: text/plain\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace sipha::transport::test
