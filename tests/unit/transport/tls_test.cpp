#include <boost/test/unit_test.hpp>
#include <optional>

#include "test_support.hpp"
#include "transport/peer_format.hpp"

using namespace sipha::transport;
using namespace sipha::transport::test;

namespace {

struct TlsPair {
  explicit TlsPair(bool verifyClient, bool clientHasCertificate) : server(loop), client(loop) {
    TransportSettings serverSettings = loopbackSettings();
    serverSettings.tlsPort = 0;
    serverSettings.tls = makeCertificate(dir, "server");
    const TlsSettings clientCertificate = makeCertificate(dir, "client");
    if (verifyClient) {
      serverSettings.tls.verifyClient = true;
      serverSettings.tls.caFile = clientCertificate.certificateFile;  // self-signed: its own CA
    }
    const Status started = server.manager.start(serverSettings, true);
    BOOST_REQUIRE_MESSAGE(started.ok(), started.message());
    TransportSettings clientSettings = loopbackSettings();
    clientSettings.udpEnabled = false;
    clientSettings.tcpEnabled = false;
    if (clientHasCertificate) clientSettings.tls = clientCertificate;
    clientSettings.tls.caFile = serverSettings.tls.certificateFile;  // verify the server
    const Status clientStarted = client.manager.start(clientSettings);
    BOOST_REQUIRE_MESSAGE(clientStarted.ok(), clientStarted.message());
    BOOST_REQUIRE(makePeer(TransportKind::Tls, "127.0.0.1",
                           server.manager.localPort(TransportKind::Tls), to));
  }
  TempDir dir;
  Loop loop;
  Node server;
  Node client;
  Peer to;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(handshake_and_messages_both_ways) {
  TlsPair pair(false, false);
  const std::string request = sipMessage("over tls");
  BOOST_TEST(!pair.client.manager.send(pair.to, request));
  BOOST_REQUIRE(pair.loop.runUntil([&] { return pair.server.received.size() == 1; }));
  const Received& got = pair.server.received[0];
  BOOST_TEST(got.bytes == request);
  BOOST_TEST((got.from.kind == TransportKind::Tls));
  BOOST_TEST(got.from.connectionId != 0u);

  const std::string big = sipMessage(std::string(40000, 'z'));  // several TLS records
  BOOST_TEST(!pair.server.manager.send(got.from, big));
  BOOST_REQUIRE(pair.loop.runUntil([&] { return pair.client.received.size() == 1; }));
  BOOST_TEST(pair.client.received[0].bytes == big);
  BOOST_TEST((pair.client.received[0].from.kind == TransportKind::Tls));
  BOOST_TEST(pair.server.manager.counters().of(TransportKind::Tls).messagesIn == 1u);
  BOOST_TEST(pair.server.manager.counters().of(TransportKind::Tls).messagesOut == 1u);
  BOOST_TEST(pair.server.manager.counters().tlsHandshakeFailures == 0u);
}

BOOST_AUTO_TEST_CASE(client_certificate_required_and_accepted) {
  TlsPair pair(true, true);
  BOOST_TEST(!pair.client.manager.send(pair.to, sipMessage("with cert")));
  BOOST_REQUIRE(pair.loop.runUntil([&] { return pair.server.received.size() == 1; }));
}

BOOST_AUTO_TEST_CASE(client_without_certificate_is_refused) {
  TlsPair pair(true, false);
  // TLS 1.3: the client finishes its handshake before the server checks the certificate, so
  // the client learns of the refusal from the server's alert on its next read.
  std::optional<CloseReason> closed;
  pair.client.manager.setConnectionClosedHandler(
      [&](const Peer&, CloseReason reason) { closed = reason; });
  BOOST_TEST(!pair.client.manager.send(pair.to, sipMessage("no cert")));
  BOOST_REQUIRE(pair.loop.runUntil([&] {
    return pair.server.manager.counters().tlsHandshakeFailures == 1 &&
           pair.client.manager.connectionCount() == 0;
  }));
  pair.loop.drain();
  BOOST_TEST(pair.server.received.empty());
  BOOST_TEST(pair.server.manager.connectionCount() == 0u);
  BOOST_REQUIRE(closed.has_value());
  BOOST_TEST((*closed == CloseReason::TlsFailure));
}

BOOST_AUTO_TEST_CASE(client_refuses_a_server_its_ca_file_does_not_trust) {
  Loop loop;
  TempDir dir;
  Node server(loop);
  TransportSettings serverSettings = loopbackSettings();
  serverSettings.tlsPort = 0;
  serverSettings.tls = makeCertificate(dir, "server");
  BOOST_REQUIRE(server.manager.start(serverSettings, true).ok());
  Node client(loop);
  TransportSettings clientSettings = loopbackSettings();
  clientSettings.udpEnabled = false;
  clientSettings.tcpEnabled = false;
  clientSettings.tls.caFile = makeCertificate(dir, "other").certificateFile;
  BOOST_REQUIRE(client.manager.start(clientSettings).ok());
  std::error_code reported;
  client.manager.setSendErrorHandler([&](const Peer&, std::error_code error) { reported = error; });
  Peer to;
  BOOST_REQUIRE(
      makePeer(TransportKind::Tls, "127.0.0.1", server.manager.localPort(TransportKind::Tls), to));
  BOOST_TEST(!client.manager.send(to, sipMessage("untrusted")));
  BOOST_REQUIRE(loop.runUntil([&] { return static_cast<bool>(reported); }));
  BOOST_TEST(client.manager.counters().tlsHandshakeFailures == 1u);
  BOOST_TEST(client.manager.connectionCount() == 0u);
  loop.drain();
  BOOST_TEST(server.received.empty());
}

BOOST_AUTO_TEST_CASE(plain_tcp_to_the_tls_port_fails_the_handshake) {
  TlsPair pair(false, false);
  RawSocket raw;
  BOOST_REQUIRE_EQUAL(
      raw.connectTcp("127.0.0.1", pair.server.manager.localPort(TransportKind::Tls)), 0);
  raw.sendAll(sipMessage("plaintext"));
  BOOST_REQUIRE(pair.loop.runUntil([&] { return !raw.poll(); }));
  BOOST_TEST(pair.server.received.empty());
  BOOST_TEST(pair.server.manager.counters().tlsHandshakeFailures == 1u);
}

BOOST_AUTO_TEST_CASE(bad_certificate_paths_fail_start_with_the_path) {
  Loop loop;
  Node node(loop);
  TransportSettings settings = loopbackSettings();
  settings.tlsPort = 0;
  settings.tls.certificateFile = "/nonexistent/cert.pem";
  settings.tls.privateKeyFile = "/nonexistent/key.pem";
  const Status status = node.manager.start(settings);
  BOOST_TEST(!status.ok());
  BOOST_TEST(status.message().find("/nonexistent/cert.pem") != std::string::npos);
  BOOST_TEST(node.manager.localPort(TransportKind::Udp) == 0);

  TempDir dir;
  const TlsSettings one = makeCertificate(dir, "one");
  const TlsSettings two = makeCertificate(dir, "two");
  settings.tls.certificateFile = one.certificateFile;
  settings.tls.privateKeyFile = two.privateKeyFile;
  const Status mismatch = node.manager.start(settings);
  BOOST_TEST(!mismatch.ok());
  BOOST_TEST_MESSAGE(mismatch.message());
  BOOST_TEST(mismatch.message().find(two.privateKeyFile) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
