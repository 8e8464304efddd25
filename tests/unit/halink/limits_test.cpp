// Limits, timeouts and the connection lifecycle: oversized frames, output limit, idle and
// handshake timeouts, close() from inside a callback, a failed connect, destroying the Link.
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "harness.hpp"
#include "transport/peer_format.hpp"
#include "transport/socket.hpp"

using namespace sipha::halink;
using namespace sipha::halink::test;

namespace {

// Runs the loop (never sleeping outside sd_event_run) for `duration`.
void runFor(Loop& loop, std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  loop.runUntil([&] { return std::chrono::steady_clock::now() >= until; }, duration * 2);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(oversized_length_prefix_closes_before_the_body) {
  Pair pair;
  LinkSettings settings = settingsFor(pair.serverIdentity, pair.pki.caFile());
  settings.maxFrameBytes = 1000;
  Node server(pair.loop, settings);
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  RawTlsClient raw(pair.loop, pair.clientIdentity, server.link.listenPort());
  BOOST_REQUIRE(pair.loop.runUntil([&] { return server.handler.open.size() == 1; }));
  raw.write(frameBytes(std::string(1000, 'a')));               // exactly the limit: delivered
  raw.write(frameBytes(std::string(1001, 'b')).substr(0, 4));  // only the prefix of 1001
  BOOST_REQUIRE(pair.loop.runUntil([&] { return server.handler.closed.size() == 1; }));
  BOOST_TEST(server.handler.frames.size() == 1u);
  BOOST_TEST((server.handler.closed[0].reason == CloseReason::Oversized));
  BOOST_TEST(server.handler.closed[0].detail.find("1001") != std::string::npos);
  BOOST_TEST(server.link.counters().oversizedFrames == 1u);
  BOOST_REQUIRE(pair.loop.runUntil([&] { return raw.closedByServer(); }));
}

BOOST_AUTO_TEST_CASE(output_limit_closes_the_connection) {
  Pair pair;
  LinkSettings clientSettings = settingsFor(pair.clientIdentity, pair.pki.caFile());
  clientSettings.maxFrameBytes = 1000;
  clientSettings.maxOutputBytes = 3100;
  Node server(pair.loop, settingsFor(pair.serverIdentity, pair.pki.caFile()));
  Node client(pair.loop, clientSettings);
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  Connection* connection = client.link.connect("127.0.0.1", server.link.listenPort(), error);
  BOOST_REQUIRE(connection != nullptr);
  const std::string body(1000, 'q');
  BOOST_TEST(connection->send(body));  // queued until open: 1004, 2008, 3012 bytes
  BOOST_TEST(connection->send(body));
  BOOST_TEST(connection->send(body));
  BOOST_TEST(!connection->send(body));  // 4016 > 3100
  BOOST_TEST(!connection->send("x"));   // closing
  BOOST_REQUIRE(pair.loop.runUntil([&] { return client.handler.closed.size() == 1; }));
  BOOST_TEST((client.handler.closed[0].reason == CloseReason::OutputLimit));
  BOOST_TEST(client.link.counters().outputLimitHits == 1u);
}

BOOST_AUTO_TEST_CASE(idle_timeout_unless_frames_keep_it_alive) {
  Pair pair;
  LinkSettings serverSettings = settingsFor(pair.serverIdentity, pair.pki.caFile());
  LinkSettings clientSettings = settingsFor(pair.clientIdentity, pair.pki.caFile());
  serverSettings.idleTimeoutMs = 600;
  clientSettings.idleTimeoutMs = 5000;
  pair.open(serverSettings, clientSettings);
  Connection& atClient = *pair.client->handler.open[0];
  for (int i = 0; i < 10; ++i) {  // 1 s of keepalives every 100 ms: the link stays
    runFor(pair.loop, std::chrono::milliseconds(100));
    BOOST_REQUIRE(atClient.send("keepalive"));
  }
  BOOST_TEST(pair.server->handler.closed.empty());
  const auto silentFrom = std::chrono::steady_clock::now();
  BOOST_REQUIRE(pair.loop.runUntil([&] { return pair.server->handler.closed.size() == 1; }));
  const auto waited = std::chrono::steady_clock::now() - silentFrom;
  BOOST_TEST((pair.server->handler.closed[0].reason == CloseReason::IdleTimeout));
  BOOST_TEST(pair.server->link.counters().idleTimeouts == 1u);
  BOOST_TEST(waited >= std::chrono::milliseconds(400));
  BOOST_TEST(waited < std::chrono::milliseconds(3000));
  // The server said close_notify: the client sees the peer close, not its own timeout.
  BOOST_REQUIRE(pair.loop.runUntil([&] { return pair.client->handler.closed.size() == 1; }));
  BOOST_TEST((pair.client->handler.closed[0].reason == CloseReason::PeerClosed));
}

BOOST_AUTO_TEST_CASE(silent_tcp_client_hits_the_handshake_timeout) {
  Pair pair;
  LinkSettings settings = settingsFor(pair.serverIdentity, pair.pki.caFile());
  settings.handshakeTimeoutMs = 200;
  Node server(pair.loop, settings);
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  RawSocket raw;
  BOOST_REQUIRE_EQUAL(raw.connectTcp("127.0.0.1", server.link.listenPort()), 0);
  BOOST_REQUIRE(pair.loop.runUntil([&] { return server.handler.closed.size() == 1; }));
  BOOST_TEST((server.handler.closed[0].reason == CloseReason::HandshakeTimeout));
  BOOST_TEST(server.link.counters().handshakeTimeouts == 1u);
  BOOST_REQUIRE(pair.loop.runUntil([&] { return !raw.poll(); }));
}

BOOST_AUTO_TEST_CASE(close_from_inside_link_frame_is_deferred_and_sends_what_was_queued) {
  Pair pair;
  pair.open();
  bool closedInsideCallback = false;
  pair.server->handler.onFrame = [&](Connection& connection, std::string_view) {
    BOOST_TEST(connection.send("goodbye"));
    connection.close();
    connection.close();  // twice is harmless
    BOOST_TEST(!connection.send("too late"));
    closedInsideCallback = !pair.server->handler.closed.empty();
  };
  Connection& atClient = *pair.client->handler.open[0];
  BOOST_TEST(atClient.send("one"));
  BOOST_TEST(atClient.send("two"));
  BOOST_TEST(atClient.send("three"));
  BOOST_REQUIRE(pair.loop.runUntil([&] {
    return pair.server->handler.closed.size() == 1 && pair.client->handler.closed.size() == 1;
  }));
  BOOST_TEST(!closedInsideCallback);
  BOOST_TEST(pair.server->handler.frames.size() == 1u);  // nothing after close()
  BOOST_TEST((pair.server->handler.closed[0].reason == CloseReason::Local));
  BOOST_REQUIRE_EQUAL(pair.client->handler.frames.size(), 1u);
  BOOST_TEST(pair.client->handler.frames[0] == "goodbye");
  BOOST_TEST((pair.client->handler.closed[0].reason == CloseReason::PeerClosed));
  pair.loop.drain();
  BOOST_TEST(pair.server->handler.closed.size() == 1u);  // exactly once
  BOOST_TEST(pair.server->link.connectionCount() == 0u);
}

BOOST_AUTO_TEST_CASE(close_drops_what_a_silent_peer_does_not_read_after_the_close_timeout) {
  Pair pair;
  LinkSettings settings = settingsFor(pair.serverIdentity, pair.pki.caFile());
  settings.closeTimeoutMs = 200;
  Node server(pair.loop, settings);
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  RawTlsClient raw(pair.loop, pair.clientIdentity, server.link.listenPort());  // never reads
  BOOST_REQUIRE(pair.loop.runUntil([&] { return server.handler.open.size() == 1; }));
  Connection& connection = *server.handler.open[0];
  const std::string big(1 << 20, 'z');
  for (int i = 0; i < 32; ++i) BOOST_REQUIRE(connection.send(big));  // more than the socket holds
  pair.loop.drain();
  BOOST_TEST(connection.queuedBytes() > 0u);
  connection.close();
  BOOST_TEST(!connection.send("after close"));
  BOOST_REQUIRE(pair.loop.runUntil([&] { return server.handler.closed.size() == 1; }));
  BOOST_TEST((server.handler.closed[0].reason == CloseReason::Local));
  BOOST_TEST(server.handler.closed[0].detail.find("dropped") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(close_before_open_is_reported_from_the_loop) {
  Pair pair;
  Node server(pair.loop, settingsFor(pair.serverIdentity, pair.pki.caFile()));
  Node client(pair.loop, settingsFor(pair.clientIdentity, pair.pki.caFile()));
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  Connection* connection = client.link.connect("127.0.0.1", server.link.listenPort(), error);
  BOOST_REQUIRE(connection != nullptr);
  connection->close();
  BOOST_TEST(client.handler.closed.empty());
  BOOST_REQUIRE(pair.loop.runUntil([&] { return client.handler.closed.size() == 1; }));
  BOOST_TEST((client.handler.closed[0].reason == CloseReason::Local));
  BOOST_TEST(!client.handler.closed[0].opened);
  BOOST_TEST(client.handler.open.empty());
}

BOOST_AUTO_TEST_CASE(connect_to_a_closed_port_fails) {
  Pair pair;
  Node client(pair.loop, settingsFor(pair.clientIdentity, pair.pki.caFile()));
  // A bound socket that does not listen: its port refuses connections.
  sockaddr_storage address{};
  socklen_t length = 0;
  BOOST_REQUIRE(sipha::transport::parseLiteralAddress("127.0.0.1", 0, address, length));
  sipha::transport::UniqueFd reserved;
  BOOST_REQUIRE(sipha::transport::bindSocket(SOCK_STREAM, address, length, 0, reserved).ok());
  std::string error;
  Connection* connection =
      client.link.connect("127.0.0.1", sipha::transport::boundPort(reserved.get()), error);
  BOOST_REQUIRE(connection != nullptr);
  BOOST_TEST(client.handler.closed.empty());  // never from inside connect()
  BOOST_REQUIRE(pair.loop.runUntil([&] { return client.handler.closed.size() == 1; }));
  BOOST_TEST((client.handler.closed[0].reason == CloseReason::ConnectFailed));
  BOOST_TEST(client.handler.closed[0].detail.find("refused") != std::string::npos);
  BOOST_TEST(client.link.counters().connectFailures == 1u);
  BOOST_TEST(client.link.connectionCount() == 0u);
}

BOOST_AUTO_TEST_CASE(destroying_the_link_closes_without_calling_the_handler) {
  Pair pair;
  Recorder serverHandler;  // outlives the Link
  auto serverLink = std::make_unique<Link>(pair.loop.get(), serverHandler);
  std::string error;
  BOOST_REQUIRE(serverLink->configure(settingsFor(pair.serverIdentity, pair.pki.caFile()), error));
  BOOST_REQUIRE(serverLink->listen("127.0.0.1", 0, error));
  Node client(pair.loop, settingsFor(pair.clientIdentity, pair.pki.caFile()));
  BOOST_REQUIRE(client.link.connect("127.0.0.1", serverLink->listenPort(), error));
  BOOST_REQUIRE(pair.loop.runUntil([&] { return serverHandler.open.size() == 1; }));
  BOOST_TEST(serverHandler.open[0]->send("queued, never flushed"));
  serverHandler.open[0]->close();  // even one that is closing
  serverLink.reset();
  BOOST_TEST(serverHandler.closed.empty());
  BOOST_REQUIRE(pair.loop.runUntil([&] { return client.handler.closed.size() == 1; }));
  BOOST_TEST((client.handler.closed[0].reason == CloseReason::PeerClosed));
  pair.loop.drain();
  BOOST_TEST(serverHandler.closed.empty());
}

BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_are_refused) {
  Pair pair;
  LinkSettings settings = settingsFor(pair.serverIdentity, pair.pki.caFile());
  settings.maxConnections = 1;
  Node server(pair.loop, settings);
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  RawSocket first;
  RawSocket second;
  BOOST_REQUIRE_EQUAL(first.connectTcp("127.0.0.1", server.link.listenPort()), 0);
  BOOST_REQUIRE_EQUAL(second.connectTcp("127.0.0.1", server.link.listenPort()), 0);
  BOOST_REQUIRE(pair.loop.runUntil([&] { return server.link.counters().connectionsRefused == 1; }));
  BOOST_TEST(server.link.counters().connectionsAccepted == 1u);
  BOOST_TEST(server.link.connectionCount() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
