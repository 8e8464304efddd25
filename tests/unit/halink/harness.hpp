#pragma once
// Shared by the HA link tests: a tiny PKI made with OpenSSL (a CA, nodes it signs, unrelated
// self-signed certificates), a LinkHandler that records, a node (handler + Link) and a raw TLS
// client that writes exactly the bytes a test chooses. The loop is transport's test Loop.
#include <openssl/ssl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "halink/link.hpp"
#include "test_support.hpp"

namespace sipha::halink::test {

using transport::test::Loop;
using transport::test::RawSocket;
using transport::test::TempDir;

struct Identity {
  std::string certificateFile;
  std::string privateKeyFile;
};

class Pki {
 public:
  explicit Pki(const TempDir& dir);
  ~Pki();
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  const std::string& caFile() const noexcept { return caFile_; }
  // A certificate signed by the CA (CN = name, serverAuth + clientAuth).
  Identity issue(const std::string& name);
  // A self-signed certificate the CA knows nothing of.
  Identity selfSigned(const std::string& name);

 private:
  const TempDir& dir_;
  std::string caFile_;
  EVP_PKEY* caKey_ = nullptr;
  X509* caCertificate_ = nullptr;
};

LinkSettings settingsFor(const Identity& identity, const std::string& caFile,
                         const std::string& pinFile = {});

struct Closed {
  std::uint64_t id = 0;
  CloseReason reason = CloseReason::Local;
  std::string detail;
  bool opened = false;
  bool inbound = false;
};

class Recorder final : public LinkHandler {
 public:
  void linkOpen(Connection& connection) override;
  void linkFrame(Connection& connection, std::string_view frame) override;
  void linkClosed(Connection& connection, CloseReason reason, std::string_view detail) override;

  std::vector<Connection*> open;  // opened and not yet closed
  std::vector<std::string> frames;
  std::vector<Closed> closed;
  std::function<void(Connection&)> onOpen;
  std::function<void(Connection&, std::string_view)> onFrame;
};

struct Node {
  Node(Loop& loop, const LinkSettings& settings);
  Recorder handler;
  Link link;
};

// A ready pair: `server` listens on 127.0.0.1:0, `client` connects; both settings come from the
// CA (overridable before open()).
struct Pair {
  Pair();
  // Configures both nodes, listens, connects and runs the loop until both are open.
  void open(const LinkSettings& serverSettings, const LinkSettings& clientSettings);
  void open();
  TempDir dir;
  Pki pki{dir};
  Identity serverIdentity = pki.issue("node-a");
  Identity clientIdentity = pki.issue("node-b");
  Loop loop;
  std::unique_ptr<Node> server;
  std::unique_ptr<Node> client;
};

// A TLS 1.3 client on a raw non-blocking socket; each write() is one SSL_write (one record below
// 16 KiB), and the loop runs until the server has read it.
class RawTlsClient {
 public:
  RawTlsClient(Loop& loop, const Identity& identity, std::uint16_t port);
  ~RawTlsClient();
  RawTlsClient(const RawTlsClient&) = delete;
  RawTlsClient& operator=(const RawTlsClient&) = delete;

  void write(std::string_view bytes);
  // Reads what is there; true once the server closed the connection (close_notify or EOF).
  bool closedByServer();

 private:
  Loop& loop_;
  RawSocket socket_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

std::string frameBytes(std::string_view body);  // 4-byte big-endian length + body

}  // namespace sipha::halink::test
