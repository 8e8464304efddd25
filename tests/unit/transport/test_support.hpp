#pragma once
// Shared by the transport tests: a real sd-event loop driven until a condition holds (bounded),
// raw loopback client sockets, a temporary directory and a test certificate.
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "transport/peer.hpp"
#include "transport/settings.hpp"
#include "transport/transport_manager.hpp"

namespace sipha::transport::test {

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  sd_event* get() const noexcept { return event_; }
  // Runs the loop until `done` holds or `limit` passes; returns whether `done` held.
  bool runUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(5));
  // Runs whatever is ready now (several iterations, no waiting).
  void drain();

 private:
  sd_event* event_ = nullptr;
};

struct Received {
  std::string bytes;
  Peer from;
};

// A TransportManager that records what it receives.
struct Node {
  explicit Node(Loop& loop);
  std::vector<Received> received;
  TransportManager manager;
};

TransportSettings loopbackSettings(const std::string& interface = "127.0.0.1");

sockaddr_storage loopbackAddress(const std::string& host, std::uint16_t port, socklen_t& length);

// A raw client socket (non-blocking after connect).
class RawSocket {
 public:
  RawSocket() = default;
  explicit RawSocket(int fd) : fd_(fd) {}
  RawSocket(RawSocket&& other) noexcept;
  RawSocket& operator=(RawSocket&&) = delete;
  ~RawSocket();
  int fd() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }

  // Blocking connect to host:port; returns errno (0 = connected).
  int connectTcp(const std::string& host, std::uint16_t port);
  bool openUdp(const std::string& host);
  void sendAll(const std::string& bytes);
  void sendTo(const std::string& bytes, const std::string& host, std::uint16_t port);
  // Reads what is available into `in`; returns false once the peer closed or reset.
  bool poll();
  std::uint16_t localPort() const;

  std::string in;
  bool closed = false;

 private:
  int fd_ = -1;
};

// A fresh directory under $TMPDIR, removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

// Writes a self-signed certificate + key for `commonName` into `dir`; returns the TLS settings.
TlsSettings makeCertificate(const TempDir& dir, const std::string& name,
                            const std::string& commonName = "127.0.0.1");

std::string sipMessage(const std::string& body, const std::string& callId = "a84b4c76e66710");

}  // namespace sipha::transport::test
