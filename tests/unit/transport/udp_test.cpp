#include <boost/test/unit_test.hpp>

#include "test_support.hpp"
#include "transport/peer_format.hpp"

using namespace sipha::transport;
using namespace sipha::transport::test;

namespace {

void roundTrip(const std::string& host) {
  Loop loop;
  Node node(loop);
  const Status started = node.manager.start(loopbackSettings(host));
  BOOST_REQUIRE_MESSAGE(started.ok(), started.message());
  const std::uint16_t port = node.manager.localPort(TransportKind::Udp);
  BOOST_REQUIRE_NE(port, 0);

  RawSocket client;
  BOOST_REQUIRE(client.openUdp(host));
  const std::string request = sipMessage("ping");
  client.sendTo(request, host, port);
  BOOST_REQUIRE(loop.runUntil([&] { return !node.received.empty(); }));
  const Received& got = node.received.front();
  BOOST_TEST(got.bytes == request);
  BOOST_TEST((got.from.kind == TransportKind::Udp));
  BOOST_TEST(addressPort(got.from.address) == client.localPort());
  BOOST_TEST(formatHost(got.from.address) == host);

  const std::string response = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
  BOOST_TEST(!node.manager.send(got.from, response));
  BOOST_REQUIRE(loop.runUntil([&] {
    client.poll();
    return client.in.size() >= response.size();
  }));
  BOOST_TEST(client.in == response);
  const KindCounters& udp = node.manager.counters().of(TransportKind::Udp);
  BOOST_TEST(udp.messagesIn == 1u);
  BOOST_TEST(udp.messagesOut == 1u);
  BOOST_TEST(udp.bytesIn == request.size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(udp)

BOOST_AUTO_TEST_CASE(round_trip_ipv4) { roundTrip("127.0.0.1"); }

BOOST_AUTO_TEST_CASE(round_trip_ipv6) { roundTrip("::1"); }

BOOST_AUTO_TEST_CASE(batch_delivers_every_datagram_in_order) {
  Loop loop;
  Node node(loop);
  TransportSettings settings = loopbackSettings();
  settings.limits.udpBatch = 8;
  BOOST_REQUIRE(node.manager.start(settings).ok());
  RawSocket client;
  BOOST_REQUIRE(client.openUdp("127.0.0.1"));
  constexpr int kCount = 50;
  for (int i = 0; i < kCount; ++i) {
    client.sendTo(sipMessage("", "call-" + std::to_string(i)), "127.0.0.1",
                  node.manager.localPort(TransportKind::Udp));
  }
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == kCount; }));
  for (int i = 0; i < kCount; ++i) {
    BOOST_TEST(node.received[static_cast<std::size_t>(i)].bytes ==
               sipMessage("", "call-" + std::to_string(i)));
  }
}

BOOST_AUTO_TEST_CASE(oversized_and_keepalive_datagrams_are_dropped_and_counted) {
  Loop loop;
  Node node(loop);
  TransportSettings settings = loopbackSettings();
  settings.limits.maxMessageSize = 300;
  BOOST_REQUIRE(node.manager.start(settings).ok());
  const std::uint16_t port = node.manager.localPort(TransportKind::Udp);
  RawSocket client;
  BOOST_REQUIRE(client.openUdp("127.0.0.1"));
  client.sendTo(sipMessage(std::string(400, 'x')), "127.0.0.1", port);
  client.sendTo("\r\n\r\n", "127.0.0.1", port);
  const std::string small = sipMessage("ok");
  client.sendTo(small, "127.0.0.1", port);
  BOOST_REQUIRE(loop.runUntil([&] { return !node.received.empty(); }));
  loop.drain();
  BOOST_TEST(node.received.size() == 1u);
  BOOST_TEST(node.received.front().bytes == small);
  BOOST_TEST(node.manager.counters().oversizedMessages == 1u);
  BOOST_TEST(node.manager.counters().udpKeepAlives == 1u);
}

BOOST_AUTO_TEST_CASE(send_to_other_family_fails_without_throwing) {
  Loop loop;
  Node node(loop);
  BOOST_REQUIRE(node.manager.start(loopbackSettings()).ok());
  Peer peer;
  BOOST_REQUIRE(makePeer(TransportKind::Udp, "::1", 5060, peer));
  BOOST_TEST(static_cast<bool>(node.manager.send(peer, "x")));
  BOOST_TEST(node.manager.counters().of(TransportKind::Udp).sendErrors == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
