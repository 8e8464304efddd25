#include <sys/resource.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "test_support.hpp"
#include "transport/peer_format.hpp"

using namespace sipha::transport;
using namespace sipha::transport::test;

namespace {

struct TcpFixture {
  explicit TcpFixture(TransportSettings settings = loopbackSettings()) : node(loop) {
    const Status started = node.manager.start(settings, true);
    BOOST_REQUIRE_MESSAGE(started.ok(), started.message());
    port = node.manager.localPort(TransportKind::Tcp);
    BOOST_REQUIRE_NE(port, 0);
  }
  RawSocket connect() {
    RawSocket client;
    BOOST_REQUIRE_EQUAL(client.connectTcp("127.0.0.1", port), 0);
    return client;
  }
  bool waitClosed(RawSocket& client) {
    return loop.runUntil([&] { return !client.poll(); });
  }
  Loop loop;
  Node node;
  std::uint16_t port = 0;
};

TransportSettings withLimits(std::size_t maxMessageSize, std::size_t maxConnections) {
  TransportSettings settings = loopbackSettings();
  settings.limits.maxMessageSize = maxMessageSize;
  settings.limits.maxConnections = maxConnections;
  return settings;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp)

BOOST_FIXTURE_TEST_CASE(two_messages_in_one_write, TcpFixture) {
  RawSocket client = connect();
  const std::string first = sipMessage("first", "1");
  const std::string second = sipMessage("", "2");
  client.sendAll(first + second);
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 2; }));
  BOOST_TEST(node.received[0].bytes == first);
  BOOST_TEST(node.received[1].bytes == second);
  BOOST_TEST((node.received[0].from.kind == TransportKind::Tcp));
  BOOST_TEST(node.received[0].from.connectionId != 0u);
  BOOST_TEST(node.received[0].from.connectionId == node.received[1].from.connectionId);
  BOOST_TEST(addressPort(node.received[0].from.address) == client.localPort());
}

BOOST_FIXTURE_TEST_CASE(one_message_split_in_three_writes, TcpFixture) {
  RawSocket client = connect();
  const std::string message = sipMessage("0123456789abcdef");
  const std::size_t headerEnd = message.find("\r\n\r\n");
  const std::string parts[] = {message.substr(0, 30), message.substr(30, headerEnd + 4 + 5 - 30),
                               message.substr(headerEnd + 4 + 5)};
  for (const std::string& part : parts) {
    BOOST_TEST(node.received.empty());
    const std::uint64_t before = node.manager.counters().of(TransportKind::Tcp).bytesIn;
    client.sendAll(part);
    // Each part is read on its own before the next is written.
    BOOST_REQUIRE(loop.runUntil([&] {
      return node.manager.counters().of(TransportKind::Tcp).bytesIn == before + part.size();
    }));
  }
  BOOST_REQUIRE_EQUAL(node.received.size(), 1u);
  BOOST_TEST(node.received[0].bytes == message);
}

BOOST_FIXTURE_TEST_CASE(missing_content_length_closes_the_connection, TcpFixture) {
  RawSocket client = connect();
  client.sendAll("OPTIONS sip:x SIP/2.0\r\nCall-ID: 1\r\n\r\n");
  BOOST_REQUIRE(waitClosed(client));
  BOOST_TEST(node.received.empty());
  BOOST_TEST(node.manager.counters().missingContentLength == 1u);
  BOOST_TEST(node.manager.counters().connectionsClosed == 1u);
  BOOST_TEST(node.manager.connectionCount() == 0u);
}

BOOST_FIXTURE_TEST_CASE(keepalive_ping_gets_pong_and_stray_crlf_is_skipped, TcpFixture) {
  RawSocket client = connect();
  client.sendAll("\r\n\r\n");
  BOOST_REQUIRE(loop.runUntil([&] {
    client.poll();
    return client.in == "\r\n";
  }));
  BOOST_TEST(node.manager.counters().keepAlivePings == 1u);
  const std::string message = sipMessage("after");
  client.sendAll("\r\n" + message);
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 1; }));
  BOOST_TEST(node.received[0].bytes == message);
  BOOST_TEST(node.manager.counters().keepAlivePings == 1u);
}

BOOST_FIXTURE_TEST_CASE(reply_on_the_same_connection, TcpFixture) {
  RawSocket client = connect();
  client.sendAll(sipMessage("hi"));
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 1; }));
  const std::string response = "SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
  BOOST_TEST(!node.manager.send(node.received[0].from, response));
  BOOST_REQUIRE(loop.runUntil([&] {
    client.poll();
    return client.in.size() >= response.size();
  }));
  BOOST_TEST(client.in == response);
  // Without a connection id the connection is found by address.
  Peer byAddress = node.received[0].from;
  byAddress.connectionId = 0;
  BOOST_TEST(!node.manager.send(byAddress, response));
  BOOST_REQUIRE(loop.runUntil([&] {
    client.poll();
    return client.in.size() >= 2 * response.size();
  }));
  BOOST_TEST(node.manager.connectionCount() == 1u);
}

BOOST_AUTO_TEST_CASE(message_larger_than_the_limit_closes) {
  TcpFixture f(withLimits(400, 1024));
  RawSocket client = f.connect();
  client.sendAll(sipMessage(std::string(500, 'x')));
  BOOST_REQUIRE(f.waitClosed(client));
  BOOST_TEST(f.node.received.empty());
  BOOST_TEST(f.node.manager.counters().oversizedMessages == 1u);
}

BOOST_AUTO_TEST_CASE(endless_header_closes_at_the_limit) {
  TcpFixture f(withLimits(400, 1024));
  RawSocket client = f.connect();
  client.sendAll("INVITE sip:x SIP/2.0\r\nX-Long: " + std::string(1000, 'a'));
  BOOST_REQUIRE(f.waitClosed(client));
  BOOST_TEST(f.node.manager.counters().oversizedMessages == 1u);
}

BOOST_AUTO_TEST_CASE(input_buffer_cap_closes) {
  TransportSettings settings = withLimits(4000, 1024);
  settings.limits.maxInputBuffer = 100;
  TcpFixture f(settings);
  RawSocket client = f.connect();
  client.sendAll(sipMessage(std::string(1000, 'x')));
  BOOST_REQUIRE(f.waitClosed(client));
  BOOST_TEST(f.node.manager.counters().inputBufferLimitHits == 1u);
}

BOOST_AUTO_TEST_CASE(connection_limit_refuses_extra_connections) {
  TcpFixture f(withLimits(65535, 2));
  RawSocket a = f.connect();
  RawSocket b = f.connect();
  BOOST_REQUIRE(f.loop.runUntil([&] { return f.node.manager.connectionCount() == 2; }));
  RawSocket c = f.connect();
  BOOST_REQUIRE(f.waitClosed(c));
  BOOST_TEST(f.node.manager.counters().connectionsRefused == 1u);
  BOOST_TEST(f.node.manager.counters().connectionLimitHits == 1u);
  BOOST_TEST(f.node.manager.connectionCount() == 2u);
  // The admitted ones still work.
  b.sendAll(sipMessage("still here"));
  BOOST_REQUIRE(f.loop.runUntil([&] { return f.node.received.size() == 1; }));
  BOOST_TEST(a.poll());
}

BOOST_AUTO_TEST_CASE(idle_connection_is_closed_by_the_timer) {
  TransportSettings settings = loopbackSettings();
  settings.limits.idleTimeout = std::chrono::milliseconds(150);
  TcpFixture f(settings);
  RawSocket client = f.connect();
  client.sendAll(sipMessage("x"));
  BOOST_REQUIRE(f.loop.runUntil([&] { return f.node.received.size() == 1; }));
  BOOST_REQUIRE(f.waitClosed(client));
  BOOST_TEST(f.node.manager.counters().idleTimeouts == 1u);
  BOOST_TEST(f.node.manager.connectionCount() == 0u);
}

BOOST_AUTO_TEST_CASE(idle_timeout_zero_keeps_open_connections) {
  TransportSettings settings = loopbackSettings();
  settings.limits.idleTimeout = std::chrono::milliseconds(0);
  settings.limits.handshakeTimeout = std::chrono::milliseconds(50);
  TcpFixture f(settings);
  RawSocket client = f.connect();
  BOOST_REQUIRE(f.loop.runUntil([&] { return f.node.manager.connectionCount() == 1; }));
  // Well past the (connect/handshake) deadline: the open connection must still be there.
  BOOST_TEST(!f.loop.runUntil([&] { return !client.poll(); }, std::chrono::milliseconds(300)));
  BOOST_TEST(f.node.manager.connectionCount() == 1u);
  BOOST_TEST(f.node.manager.counters().idleTimeouts == 0u);
}

BOOST_AUTO_TEST_CASE(outbound_connection_carries_both_directions) {
  TcpFixture server;
  Node client(server.loop);
  TransportSettings settings = loopbackSettings();
  settings.udpEnabled = false;
  settings.tcpEnabled = false;
  BOOST_REQUIRE(client.manager.start(settings).ok());
  Peer to;
  BOOST_REQUIRE(makePeer(TransportKind::Tcp, "127.0.0.1", server.port, to));
  const std::string request = sipMessage("outbound");
  BOOST_TEST(!client.manager.send(to, request));
  BOOST_REQUIRE(server.loop.runUntil([&] { return server.node.received.size() == 1; }));
  BOOST_TEST(server.node.received[0].bytes == request);
  BOOST_TEST(client.manager.counters().connectionsOpened == 1u);
  const std::string response = "SIP/2.0 200 OK\r\nl: 0\r\n\r\n";
  BOOST_TEST(!server.node.manager.send(server.node.received[0].from, response));
  BOOST_REQUIRE(server.loop.runUntil([&] { return client.received.size() == 1; }));
  BOOST_TEST(client.received[0].bytes == response);
  // A second request reuses the connection.
  BOOST_TEST(!client.manager.send(to, request));
  BOOST_REQUIRE(server.loop.runUntil([&] { return server.node.received.size() == 2; }));
  BOOST_TEST(client.manager.counters().connectionsOpened == 1u);
}

BOOST_AUTO_TEST_CASE(connect_failure_is_reported_to_the_handler) {
  Loop loop;
  Node client(loop);
  TransportSettings settings = loopbackSettings();
  settings.udpEnabled = false;
  BOOST_REQUIRE(client.manager.start(settings, false).ok());
  // The client's own TCP port is bound but not listening (backup): connecting to it is refused.
  Peer to;
  BOOST_REQUIRE(
      makePeer(TransportKind::Tcp, "127.0.0.1", client.manager.localPort(TransportKind::Tcp), to));
  std::error_code reported;
  client.manager.setSendErrorHandler([&](const Peer&, std::error_code error) { reported = error; });
  BOOST_TEST(!client.manager.send(to, sipMessage("x")));
  BOOST_REQUIRE(loop.runUntil([&] { return static_cast<bool>(reported); }));
  BOOST_TEST(reported.value() == ECONNREFUSED);
  BOOST_TEST(client.manager.counters().connectFailures == 1u);
  BOOST_TEST(client.manager.connectionCount() == 0u);
}

BOOST_AUTO_TEST_CASE(output_buffer_limit_refuses_instead_of_growing) {
  TransportSettings settings = loopbackSettings();
  settings.limits.maxOutputBuffer = 1000;
  TcpFixture f(settings);
  Peer to;
  BOOST_REQUIRE(makePeer(TransportKind::Tcp, "127.0.0.1", f.port, to));
  // Queued while connecting: the first fits, the second would exceed the cap.
  BOOST_TEST(!f.node.manager.send(to, std::string(800, 'a')));
  const std::error_code error = f.node.manager.send(to, std::string(800, 'b'));
  BOOST_TEST(error.value() == ENOBUFS);
  BOOST_TEST(f.node.manager.counters().outputBufferLimitHits == 1u);
}

BOOST_FIXTURE_TEST_CASE(many_messages_in_arbitrary_chunks, TcpFixture) {
  RawSocket client = connect();
  std::string stream;
  constexpr int kCount = 500;
  for (int i = 0; i < kCount; ++i) {
    stream += sipMessage(std::string(static_cast<std::size_t>(i % 97), 'b'), std::to_string(i));
    if (i % 7 == 0) stream += "\r\n";
  }
  // Odd chunk sizes so message boundaries fall everywhere relative to reads.
  for (std::size_t offset = 0; offset < stream.size(); offset += 1021) {
    client.sendAll(stream.substr(offset, 1021));
    loop.drain();
  }
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == kCount; }));
  for (int i = 0; i < kCount; ++i) {
    BOOST_TEST(node.received[static_cast<std::size_t>(i)].bytes ==
               sipMessage(std::string(static_cast<std::size_t>(i % 97), 'b'), std::to_string(i)));
  }
  BOOST_TEST(node.manager.counters().framingErrors == 0u);
}

BOOST_AUTO_TEST_CASE(tcp_over_ipv6) {
  TcpFixture f(loopbackSettings("::1"));
  RawSocket client;
  BOOST_REQUIRE_EQUAL(client.connectTcp("::1", f.port), 0);
  client.sendAll(sipMessage("v6"));
  BOOST_REQUIRE(f.loop.runUntil([&] { return f.node.received.size() == 1; }));
  BOOST_TEST(
      formatAddress(f.node.received[0].from.address, f.node.received[0].from.addressLength) ==
      "[::1]:" + std::to_string(client.localPort()));
}

BOOST_AUTO_TEST_CASE(silent_tls_client_hits_the_handshake_timeout) {
  TempDir dir;
  TransportSettings settings = loopbackSettings();
  settings.tlsPort = 0;
  settings.tls = makeCertificate(dir, "server");
  settings.limits.handshakeTimeout = std::chrono::milliseconds(100);
  TcpFixture f(settings);
  RawSocket client;
  BOOST_REQUIRE_EQUAL(client.connectTcp("127.0.0.1", f.node.manager.localPort(TransportKind::Tls)),
                      0);
  BOOST_REQUIRE(f.waitClosed(client));
  BOOST_TEST(f.node.manager.counters().handshakeTimeouts == 1u);
}

BOOST_FIXTURE_TEST_CASE(out_of_descriptors_pauses_accept_then_recovers, TcpFixture) {
  rlimit saved{};
  BOOST_REQUIRE_EQUAL(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  const int next = ::dup(0);  // the lowest free descriptor
  BOOST_REQUIRE_GE(next, 0);
  ::close(next);
  RawSocket client;
  {
    // The client gets `next`; accept() in the server would need next + 1.
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(next) + 1;
    BOOST_REQUIRE_EQUAL(::setrlimit(RLIMIT_NOFILE, &tight), 0);
    const int connected = client.connectTcp("127.0.0.1", port);
    const bool paused =
        connected == 0 && loop.runUntil([&] { return node.manager.counters().acceptErrors >= 1; });
    ::setrlimit(RLIMIT_NOFILE, &saved);
    BOOST_REQUIRE_EQUAL(connected, 0);
    BOOST_REQUIRE(paused);
  }
  BOOST_TEST(node.manager.connectionCount() == 0u);
  // After the back-off the queued connection is accepted.
  BOOST_REQUIRE(loop.runUntil([&] { return node.manager.connectionCount() == 1; }));
  BOOST_TEST(node.manager.counters().acceptErrors == 1u);
  client.sendAll(sipMessage("late"));
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 1; }));
}

BOOST_AUTO_TEST_SUITE_END()
