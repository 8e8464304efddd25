// Callbacks that change the transport under their own feet: the daemon may close a connection,
// switch role or reload from inside onMessage. Run under ASan to catch use-after-free.
#include <boost/test/unit_test.hpp>

#include "test_support.hpp"
#include "transport/peer_format.hpp"

using namespace sipha::transport;
using namespace sipha::transport::test;

namespace {

struct CallbackNode {
  explicit CallbackNode(Loop& loop)
      : manager(loop.get(), [this](std::string&& bytes, const Peer& from) {
          received.push_back(Received{std::move(bytes), from});
          if (onMessage) onMessage(from);
        }) {}
  std::vector<Received> received;
  std::function<void(const Peer&)> onMessage;
  TransportManager manager;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(reentrancy)

BOOST_AUTO_TEST_CASE(close_connection_inside_its_message_callback) {
  Loop loop;
  CallbackNode node(loop);
  BOOST_REQUIRE(node.manager.start(loopbackSettings(), true).ok());
  node.onMessage = [&](const Peer& from) { node.manager.closeConnection(from.connectionId); };
  RawSocket client;
  BOOST_REQUIRE_EQUAL(client.connectTcp("127.0.0.1", node.manager.localPort(TransportKind::Tcp)),
                      0);
  // Three messages in one read: delivery stops after the first closes the connection.
  client.sendAll(sipMessage("1") + sipMessage("2") + sipMessage("3"));
  BOOST_REQUIRE(loop.runUntil([&] { return !client.poll(); }));
  loop.drain();
  BOOST_TEST(node.received.size() == 1u);
  BOOST_TEST(node.manager.connectionCount() == 0u);
}

BOOST_AUTO_TEST_CASE(role_change_inside_a_stream_callback) {
  Loop loop;
  CallbackNode node(loop);
  BOOST_REQUIRE(node.manager.start(loopbackSettings(), true).ok());
  node.onMessage = [&](const Peer&) {
    BOOST_TEST(node.manager.setStreamListenersOpen(false).ok());
  };
  RawSocket client;
  BOOST_REQUIRE_EQUAL(client.connectTcp("127.0.0.1", node.manager.localPort(TransportKind::Tcp)),
                      0);
  client.sendAll(sipMessage("1") + sipMessage("2"));
  BOOST_REQUIRE(loop.runUntil([&] { return !client.poll(); }));
  loop.drain();
  BOOST_TEST(node.received.size() == 1u);
  BOOST_TEST(!node.manager.streamListenersOpen());
}

BOOST_AUTO_TEST_CASE(reload_inside_a_udp_callback) {
  Loop loop;
  CallbackNode node(loop);
  TransportSettings settings = loopbackSettings();
  BOOST_REQUIRE(node.manager.start(settings).ok());
  const std::uint16_t oldPort = node.manager.localPort(TransportKind::Udp);
  TransportSettings moved = settings;
  moved.interface = "::1";
  bool reloaded = false;
  node.onMessage = [&](const Peer&) {
    if (!reloaded) {
      reloaded = true;
      BOOST_TEST(node.manager.reconfigure(moved).ok());
    }
  };
  RawSocket client;
  BOOST_REQUIRE(client.openUdp("127.0.0.1"));
  for (int i = 0; i < 5; ++i) client.sendTo(sipMessage(std::to_string(i)), "127.0.0.1", oldPort);
  BOOST_REQUIRE(loop.runUntil([&] { return reloaded; }));
  loop.drain();
  // The old socket stopped at once: the rest of its batch was not delivered.
  BOOST_TEST(node.received.size() == 1u);
  RawSocket v6;
  BOOST_REQUIRE(v6.openUdp("::1"));
  v6.sendTo(sipMessage("v6"), "::1", node.manager.localPort(TransportKind::Udp));
  BOOST_REQUIRE(loop.runUntil([&] { return node.received.size() == 2; }));
}

BOOST_AUTO_TEST_CASE(send_from_the_callback_and_destroy_with_open_connections) {
  Loop loop;
  auto node = std::make_unique<CallbackNode>(loop);
  BOOST_REQUIRE(node->manager.start(loopbackSettings(), true).ok());
  node->onMessage = [&](const Peer& from) {
    BOOST_TEST(!node->manager.send(from, "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  };
  RawSocket client;
  BOOST_REQUIRE_EQUAL(client.connectTcp("127.0.0.1", node->manager.localPort(TransportKind::Tcp)),
                      0);
  client.sendAll(sipMessage("x"));
  BOOST_REQUIRE(loop.runUntil([&] {
    client.poll();
    return !client.in.empty();
  }));
  node.reset();  // closes the connection without calling back
  BOOST_REQUIRE(loop.runUntil([&] { return !client.poll(); }));
}

BOOST_AUTO_TEST_SUITE_END()
