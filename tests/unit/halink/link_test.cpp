// Mutual TLS handshake and frames both ways over real loopback sockets.
#include <boost/test/unit_test.hpp>
#include <cstdio>

#include "harness.hpp"

using namespace sipha::halink;
using namespace sipha::halink::test;

BOOST_AUTO_TEST_SUITE(connection)

BOOST_AUTO_TEST_CASE(mutual_handshake_then_frames_both_ways) {
  Pair pair;
  pair.open();
  Connection& atServer = *pair.server->handler.open[0];
  Connection& atClient = *pair.client->handler.open[0];
  BOOST_TEST(atServer.inbound());
  BOOST_TEST(!atClient.inbound());
  BOOST_TEST(atServer.opened());
  BOOST_TEST(atServer.peerCommonName() == "node-b");
  BOOST_TEST(atClient.peerCommonName() == "node-a");
  BOOST_TEST(atClient.peerAddress() ==
             "127.0.0.1:" + std::to_string(pair.server->link.listenPort()));
  BOOST_TEST(atServer.peerAddress().rfind("127.0.0.1:", 0) == 0u);
  BOOST_TEST(atServer.id() != 0u);

  BOOST_TEST(atClient.send("hello primary"));
  BOOST_TEST(atClient.send(""));  // an empty frame is a frame
  BOOST_TEST(atServer.send("hello backup"));
  BOOST_REQUIRE(pair.loop.runUntil([&] {
    return pair.server->handler.frames.size() == 2 && pair.client->handler.frames.size() == 1;
  }));
  BOOST_TEST(pair.server->handler.frames[0] == "hello primary");
  BOOST_TEST(pair.server->handler.frames[1] == "");
  BOOST_TEST(pair.client->handler.frames[0] == "hello backup");

  const LinkCounters& server = pair.server->link.counters();
  const LinkCounters& client = pair.client->link.counters();
  BOOST_TEST(server.connectionsAccepted == 1u);
  BOOST_TEST(client.connectionsOpened == 1u);
  BOOST_TEST(server.linksOpened == 1u);
  BOOST_TEST(client.linksOpened == 1u);
  BOOST_TEST(server.framesIn == 2u);
  BOOST_TEST(client.framesOut == 2u);
  BOOST_TEST(server.bytesIn == 4u + 13u + 4u);
  BOOST_TEST(client.bytesOut == server.bytesIn);
  BOOST_TEST(server.handshakeFailures + client.handshakeFailures == 0u);
}

BOOST_AUTO_TEST_CASE(many_small_frames_of_one_iteration_cost_one_write) {
  Pair pair;
  pair.open();
  Connection& atClient = *pair.client->handler.open[0];
  const std::uint64_t writesBefore = pair.client->link.counters().socketWrites;
  constexpr int kFrames = 500;
  for (int i = 0; i < kFrames; ++i) {
    char body[16];
    std::snprintf(body, sizeof(body), "frame-%04d", i);
    BOOST_REQUIRE(atClient.send(body));
  }
  BOOST_TEST(atClient.queuedBytes() == kFrames * 14u);
  BOOST_REQUIRE(pair.loop.runUntil([&] { return pair.server->handler.frames.size() == kFrames; }));
  BOOST_TEST(pair.client->link.counters().socketWrites - writesBefore == 1u);
  BOOST_TEST(atClient.queuedBytes() == 0u);
  for (int i = 0; i < kFrames; ++i) {
    char body[16];
    std::snprintf(body, sizeof(body), "frame-%04d", i);
    BOOST_REQUIRE(pair.server->handler.frames[static_cast<std::size_t>(i)] == body);
  }
}

BOOST_AUTO_TEST_CASE(frame_of_max_size_both_ways_and_one_byte_more_is_refused) {
  Pair pair;
  LinkSettings serverSettings = settingsFor(pair.serverIdentity, pair.pki.caFile());
  LinkSettings clientSettings = settingsFor(pair.clientIdentity, pair.pki.caFile());
  serverSettings.maxFrameBytes = clientSettings.maxFrameBytes = 1 << 20;
  pair.open(serverSettings, clientSettings);
  Connection& atServer = *pair.server->handler.open[0];
  Connection& atClient = *pair.client->handler.open[0];
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 251);
  BOOST_TEST(!atClient.send(big + "x"));  // over maxFrameBytes: refused, the link stays
  BOOST_TEST(atClient.send(big));
  BOOST_TEST(atServer.send(big));
  BOOST_REQUIRE(pair.loop.runUntil([&] {
    return pair.server->handler.frames.size() == 1 && pair.client->handler.frames.size() == 1;
  }));
  BOOST_TEST((pair.server->handler.frames[0] == big));  // it crossed many TLS records and reads
  BOOST_TEST((pair.client->handler.frames[0] == big));
  BOOST_TEST(pair.server->handler.closed.empty());
  BOOST_TEST(pair.client->handler.closed.empty());
}

BOOST_AUTO_TEST_CASE(frames_split_across_reads_are_delivered_whole) {
  Pair pair;
  Node server(pair.loop, settingsFor(pair.serverIdentity, pair.pki.caFile()));
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  RawTlsClient raw(pair.loop, pair.clientIdentity, server.link.listenPort());
  BOOST_REQUIRE(pair.loop.runUntil([&] { return server.handler.open.size() == 1; }));
  const std::string first = frameBytes("split across reads");
  const std::string second = frameBytes("second");
  const std::string third = frameBytes("third");
  // Each write is one TLS record, read by the server before the next is written.
  std::uint64_t expected = 0;
  auto piece = [&](const std::string& bytes) {
    raw.write(bytes);
    expected += bytes.size();
    BOOST_REQUIRE(pair.loop.runUntil([&] { return server.link.counters().bytesIn == expected; }));
  };
  piece(first.substr(0, 2));  // half a length prefix
  BOOST_TEST(server.handler.frames.empty());
  piece(first.substr(2, 5));  // the rest of the prefix and 3 body bytes
  BOOST_TEST(server.handler.frames.empty());
  piece(first.substr(7) + second + third.substr(0, 1));  // two frames end, one begins
  BOOST_REQUIRE_EQUAL(server.handler.frames.size(), 2u);
  BOOST_TEST(server.handler.frames[0] == "split across reads");
  BOOST_TEST(server.handler.frames[1] == "second");
  piece(third.substr(1));
  BOOST_REQUIRE_EQUAL(server.handler.frames.size(), 3u);
  BOOST_TEST(server.handler.frames[2] == "third");
  BOOST_TEST(server.link.counters().framesIn == 3u);
}

BOOST_AUTO_TEST_CASE(listening_again_on_the_same_port_replaces_the_listener) {
  Pair pair;
  Node server(pair.loop, settingsFor(pair.serverIdentity, pair.pki.caFile()));
  Node client(pair.loop, settingsFor(pair.clientIdentity, pair.pki.caFile()));
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  const std::uint16_t port = server.link.listenPort();
  BOOST_REQUIRE_MESSAGE(server.link.listen("127.0.0.1", port, error), error);
  BOOST_TEST(server.link.listenPort() == port);
  BOOST_REQUIRE(client.link.connect("127.0.0.1", port, error) != nullptr);
  BOOST_REQUIRE(pair.loop.runUntil([&] { return client.handler.open.size() == 1; }));
  server.link.stopListening();
  BOOST_TEST(server.link.listenPort() == 0u);
  BOOST_TEST(client.handler.open.size() == 1u);  // existing connections stay
}

BOOST_AUTO_TEST_CASE(frames_queued_before_open_go_out_once_open) {
  Pair pair;
  Node server(pair.loop, settingsFor(pair.serverIdentity, pair.pki.caFile()));
  Node client(pair.loop, settingsFor(pair.clientIdentity, pair.pki.caFile()));
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  Connection* connection = client.link.connect("127.0.0.1", server.link.listenPort(), error);
  BOOST_REQUIRE(connection != nullptr);
  BOOST_TEST(!connection->opened());
  BOOST_TEST(connection->send("early"));
  BOOST_REQUIRE(pair.loop.runUntil([&] { return server.handler.frames.size() == 1; }));
  BOOST_TEST(server.handler.frames[0] == "early");
  BOOST_TEST(connection->opened());
}

BOOST_AUTO_TEST_CASE(ipv6_loopback) {
  Pair pair;
  Node server(pair.loop, settingsFor(pair.serverIdentity, pair.pki.caFile()));
  Node client(pair.loop, settingsFor(pair.clientIdentity, pair.pki.caFile()));
  std::string error;
  if (!server.link.listen("::1", 0, error)) {
    BOOST_TEST_MESSAGE("no IPv6 loopback here: " << error);
    return;
  }
  BOOST_REQUIRE(client.link.connect("::1", server.link.listenPort(), error) != nullptr);
  BOOST_REQUIRE(pair.loop.runUntil([&] { return client.handler.open.size() == 1; }));
  BOOST_TEST(client.handler.open[0]->peerAddress() ==
             "[::1]:" + std::to_string(server.link.listenPort()));
}

BOOST_AUTO_TEST_CASE(bad_addresses_and_unconfigured_links_are_refused) {
  Loop loop;
  Recorder handler;
  Link link(loop.get(), handler);
  std::string error;
  BOOST_TEST(link.connect("127.0.0.1", 1, error) == nullptr);
  BOOST_TEST(error.find("not configured") != std::string::npos);
  BOOST_TEST(!link.listen("127.0.0.1", 0, error));
  BOOST_TEST(error.find("not configured") != std::string::npos);
  TempDir dir;
  Pki pki(dir);
  BOOST_REQUIRE(link.configure(settingsFor(pki.issue("node-a"), pki.caFile()), error));
  BOOST_TEST(!link.listen("localhost", 0, error));
  BOOST_TEST(error.find("localhost") != std::string::npos);
  BOOST_TEST(link.connect("node-b.example", 7000, error) == nullptr);
  BOOST_TEST(error.find("node-b.example") != std::string::npos);
  BOOST_TEST(link.listenPort() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
