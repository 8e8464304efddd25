#include <boost/test/unit_test.hpp>
#include <cerrno>

#include "test_support.hpp"
#include "transport/peer_format.hpp"

using namespace sipha::transport;
using namespace sipha::transport::test;

BOOST_AUTO_TEST_SUITE(role_gating_and_reload)

BOOST_AUTO_TEST_CASE(backup_refuses_streams_primary_accepts) {
  Loop loop;
  Node node(loop);
  BOOST_REQUIRE(node.manager.start(loopbackSettings()).ok());  // starts as backup
  const std::uint16_t port = node.manager.localPort(TransportKind::Tcp);
  BOOST_REQUIRE_NE(port, 0);
  BOOST_TEST(!node.manager.streamListenersOpen());
  {
    RawSocket refused;
    BOOST_TEST(refused.connectTcp("127.0.0.1", port) == ECONNREFUSED);
  }
  // UDP works while backup (the daemon drops it, not the transport).
  RawSocket udp;
  BOOST_REQUIRE(udp.openUdp("127.0.0.1"));
  udp.sendTo(sipMessage("udp"), "127.0.0.1", node.manager.localPort(TransportKind::Udp));
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 1; }));

  BOOST_REQUIRE(node.manager.setStreamListenersOpen(true).ok());
  RawSocket client;
  BOOST_REQUIRE_EQUAL(client.connectTcp("127.0.0.1", port), 0);
  client.sendAll(sipMessage("primary"));
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 2; }));

  // Back to backup: the connection is dropped and new connects are refused.
  BOOST_REQUIRE(node.manager.setStreamListenersOpen(false).ok());
  BOOST_REQUIRE(loop.runUntil([&] { return !client.poll(); }));
  BOOST_TEST(node.manager.connectionCount() == 0u);
  {
    RawSocket refused;
    BOOST_TEST(refused.connectTcp("127.0.0.1", port) == ECONNREFUSED);
  }
  // Primary again: same port.
  BOOST_REQUIRE(node.manager.setStreamListenersOpen(true).ok());
  BOOST_TEST(node.manager.localPort(TransportKind::Tcp) == port);
  RawSocket again;
  BOOST_REQUIRE_EQUAL(again.connectTcp("127.0.0.1", port), 0);
  again.sendAll(sipMessage("again"));
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 3; }));
}

BOOST_AUTO_TEST_CASE(tls_listener_is_gated_too) {
  Loop loop;
  Node node(loop);
  TempDir dir;
  TransportSettings settings = loopbackSettings();
  settings.tlsPort = 0;
  settings.tls = makeCertificate(dir, "server");
  BOOST_REQUIRE(node.manager.start(settings).ok());
  const std::uint16_t port = node.manager.localPort(TransportKind::Tls);
  BOOST_REQUIRE_NE(port, 0);
  RawSocket refused;
  BOOST_TEST(refused.connectTcp("127.0.0.1", port) == ECONNREFUSED);
  BOOST_REQUIRE(node.manager.setStreamListenersOpen(true).ok());
  RawSocket accepted;
  BOOST_TEST(accepted.connectTcp("127.0.0.1", port) == 0);
}

BOOST_AUTO_TEST_CASE(reconfigure_rebinds_only_what_changed) {
  Loop loop;
  Node node(loop);
  TransportSettings settings = loopbackSettings();
  BOOST_REQUIRE(node.manager.start(settings, true).ok());
  const std::uint16_t tcpPort = node.manager.localPort(TransportKind::Tcp);
  const std::uint16_t udpPort = node.manager.localPort(TransportKind::Udp);
  RawSocket client;
  BOOST_REQUIRE_EQUAL(client.connectTcp("127.0.0.1", tcpPort), 0);

  // A limit change keeps every socket and connection.
  settings.limits.maxConnections = 10;
  BOOST_REQUIRE(node.manager.reconfigure(settings).ok());
  BOOST_TEST(node.manager.localPort(TransportKind::Tcp) == tcpPort);
  BOOST_TEST(node.manager.localPort(TransportKind::Udp) == udpPort);
  BOOST_REQUIRE(loop.runUntil([&] { return node.manager.connectionCount() == 1; }));

  // Moving to another (free) port: find one by binding a probe.
  std::uint16_t newPort = 0;
  {
    RawSocket probe;
    BOOST_REQUIRE(probe.openUdp("127.0.0.1"));
    newPort = probe.localPort();
  }
  settings.port = newPort;
  const Status moved = node.manager.reconfigure(settings);
  BOOST_REQUIRE_MESSAGE(moved.ok(), moved.message());
  BOOST_TEST(node.manager.localPort(TransportKind::Udp) == newPort);
  BOOST_TEST(node.manager.localPort(TransportKind::Tcp) == newPort);
  RawSocket udp;
  BOOST_REQUIRE(udp.openUdp("127.0.0.1"));
  udp.sendTo(sipMessage("new port"), "127.0.0.1", newPort);
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 1; }));
  // Existing stream connections survive a listener move.
  client.sendAll(sipMessage("old connection"));
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 2; }));
}

BOOST_AUTO_TEST_CASE(failed_reconfigure_keeps_the_old_sockets) {
  Loop loop;
  Node node(loop);
  TransportSettings settings = loopbackSettings();
  BOOST_REQUIRE(node.manager.start(settings, true).ok());
  const std::uint16_t udpPort = node.manager.localPort(TransportKind::Udp);

  TransportSettings bad = settings;
  bad.interface = "192.0.2.1";  // TEST-NET-1: not a local address, bind fails
  const Status status = node.manager.reconfigure(bad);
  BOOST_TEST(!status.ok());
  BOOST_TEST(status.message().find("bind") != std::string::npos);
  bad.interface = "sip.example.com";
  BOOST_TEST(!node.manager.reconfigure(bad).ok());
  bad = settings;
  bad.tlsPort = 0;
  bad.tls.certificateFile = "/nonexistent/sipd.crt";
  bad.tls.privateKeyFile = "/nonexistent/sipd.key";
  const Status tls = node.manager.reconfigure(bad);
  BOOST_TEST(!tls.ok());
  BOOST_TEST(tls.message().find("/nonexistent/sipd.crt") != std::string::npos);

  BOOST_TEST(node.manager.settings().interface == "127.0.0.1");
  BOOST_TEST(node.manager.localPort(TransportKind::Tls) == 0);
  RawSocket udp;
  BOOST_REQUIRE(udp.openUdp("127.0.0.1"));
  udp.sendTo(sipMessage("still bound"), "127.0.0.1", udpPort);
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 1; }));
}

BOOST_AUTO_TEST_CASE(start_fails_cleanly_on_a_busy_port) {
  Loop loop;
  Node first(loop);
  BOOST_REQUIRE(first.manager.start(loopbackSettings(), true).ok());
  Node second(loop);
  TransportSettings settings = loopbackSettings();
  settings.udpEnabled = false;
  settings.port = first.manager.localPort(TransportKind::Tcp);
  const Status status = second.manager.start(settings, true);
  BOOST_TEST(!status.ok());
  BOOST_TEST(status.code().value() == EADDRINUSE);
  BOOST_TEST(second.manager.localPort(TransportKind::Tcp) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
