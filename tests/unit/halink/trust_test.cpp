// The trust model: the pair's CA and/or a pinned certificate, TLS 1.3 only, refusals counted on
// the side that refused, and the handshake failing on both ends.
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

using namespace sipha::halink;
using namespace sipha::halink::test;

namespace {

// Runs server and client until both reported their connection closed; neither opened.
void expectRefusedOnBothEnds(Pair& pair) {
  std::string error;
  BOOST_REQUIRE_MESSAGE(pair.server->link.listen("127.0.0.1", 0, error), error);
  BOOST_REQUIRE(pair.client->link.connect("127.0.0.1", pair.server->link.listenPort(), error));
  BOOST_REQUIRE(pair.loop.runUntil([&] {
    return pair.server->handler.closed.size() == 1 && pair.client->handler.closed.size() == 1;
  }));
  for (Node* node : {pair.server.get(), pair.client.get()}) {
    const Closed& closed = node->handler.closed[0];
    BOOST_TEST((closed.reason == CloseReason::HandshakeFailed));
    BOOST_TEST(!closed.opened);
    BOOST_TEST(node->handler.frames.empty());
    BOOST_TEST(node->link.counters().handshakeFailures == 1u);
    BOOST_TEST(node->link.counters().linksOpened == 0u);
    BOOST_TEST(node->link.connectionCount() == 0u);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trust)

BOOST_AUTO_TEST_CASE(client_not_signed_by_the_ca_is_refused_on_both_ends) {
  Pair pair;
  const Identity rogue = pair.pki.selfSigned("rogue");
  pair.server =
      std::make_unique<Node>(pair.loop, settingsFor(pair.serverIdentity, pair.pki.caFile()));
  // The rogue trusts the real CA, so only the server's check can stop it.
  pair.client = std::make_unique<Node>(pair.loop, settingsFor(rogue, pair.pki.caFile()));
  expectRefusedOnBothEnds(pair);
  BOOST_TEST(pair.server->link.counters().certificateRefusals == 1u);
  BOOST_TEST(pair.client->link.counters().certificateRefusals == 0u);
  BOOST_TEST(pair.server->handler.closed[0].detail.find("peer certificate refused") !=
             std::string::npos);
  BOOST_TEST(pair.client->handler.closed[0].detail.find("the peer refused the handshake") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(server_not_signed_by_the_ca_is_refused_on_both_ends) {
  Pair pair;
  const Identity rogue = pair.pki.selfSigned("rogue");
  pair.server = std::make_unique<Node>(pair.loop, settingsFor(rogue, pair.pki.caFile()));
  pair.client =
      std::make_unique<Node>(pair.loop, settingsFor(pair.clientIdentity, pair.pki.caFile()));
  expectRefusedOnBothEnds(pair);
  BOOST_TEST(pair.client->link.counters().certificateRefusals == 1u);
  BOOST_TEST(pair.server->link.counters().certificateRefusals == 0u);
  BOOST_TEST(pair.client->handler.closed[0].detail.find("peer certificate refused") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(pinned_self_signed_certificates_without_a_ca_are_accepted) {
  Pair pair;
  const Identity a = pair.pki.selfSigned("pinned-a");
  const Identity b = pair.pki.selfSigned("pinned-b");
  pair.open(settingsFor(a, "", b.certificateFile), settingsFor(b, "", a.certificateFile));
  BOOST_TEST(pair.server->handler.open[0]->peerCommonName() == "pinned-b");
  BOOST_TEST(pair.client->handler.open[0]->peerCommonName() == "pinned-a");
}

BOOST_AUTO_TEST_CASE(wrong_pin_is_refused_even_when_the_chain_verifies) {
  Pair pair;
  const Identity other = pair.pki.issue("node-c");  // signed by the same CA
  pair.server =
      std::make_unique<Node>(pair.loop, settingsFor(pair.serverIdentity, pair.pki.caFile()));
  pair.client = std::make_unique<Node>(
      pair.loop, settingsFor(pair.clientIdentity, pair.pki.caFile(), other.certificateFile));
  expectRefusedOnBothEnds(pair);
  BOOST_TEST(pair.client->link.counters().certificateRefusals == 1u);
  BOOST_TEST(pair.client->handler.closed[0].detail.find("not the pinned certificate") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(pin_and_ca_together_accept_the_right_peer) {
  Pair pair;
  pair.open(
      settingsFor(pair.serverIdentity, pair.pki.caFile(), pair.clientIdentity.certificateFile),
      settingsFor(pair.clientIdentity, pair.pki.caFile(), pair.serverIdentity.certificateFile));
  BOOST_TEST(pair.client->link.counters().certificateRefusals == 0u);
}

BOOST_AUTO_TEST_CASE(plain_tcp_garbage_fails_the_handshake) {
  Pair pair;
  Node server(pair.loop, settingsFor(pair.serverIdentity, pair.pki.caFile()));
  std::string error;
  BOOST_REQUIRE(server.link.listen("127.0.0.1", 0, error));
  RawSocket raw;
  BOOST_REQUIRE_EQUAL(raw.connectTcp("127.0.0.1", server.link.listenPort()), 0);
  raw.sendAll("GET / HTTP/1.0\r\n\r\n\x00\xff garbage");
  BOOST_REQUIRE(pair.loop.runUntil([&] { return server.handler.closed.size() == 1; }));
  BOOST_REQUIRE(pair.loop.runUntil([&] { return !raw.poll(); }));
  const Closed& closed = server.handler.closed[0];
  BOOST_TEST((closed.reason == CloseReason::HandshakeFailed));
  BOOST_TEST(closed.inbound);
  BOOST_TEST(!closed.opened);
  BOOST_TEST(server.link.counters().handshakeFailures == 1u);
  BOOST_TEST(server.link.counters().certificateRefusals == 0u);
  BOOST_TEST(server.handler.open.empty());
}

BOOST_AUTO_TEST_CASE(configuration_errors_name_the_file) {
  TempDir dir;
  Pki pki(dir);
  const Identity node = pki.issue("node-a");
  const Identity other = pki.issue("node-b");
  Loop loop;
  Recorder handler;
  Link link(loop.get(), handler);
  std::string error;

  LinkSettings settings = settingsFor(node, pki.caFile());
  settings.certificateFile = dir.path() + "/missing.crt";
  BOOST_TEST(!link.configure(settings, error));
  BOOST_TEST(error.find(settings.certificateFile) != std::string::npos, error);

  settings = settingsFor(node, pki.caFile());
  settings.privateKeyFile = other.privateKeyFile;
  BOOST_TEST(!link.configure(settings, error));
  BOOST_TEST(error.find(other.privateKeyFile) != std::string::npos, error);

  settings = settingsFor(node, dir.path() + "/missing-ca.crt");
  BOOST_TEST(!link.configure(settings, error));
  BOOST_TEST(error.find("missing-ca.crt") != std::string::npos, error);

  settings = settingsFor(node, "", dir.path() + "/missing-pin.crt");
  BOOST_TEST(!link.configure(settings, error));
  BOOST_TEST(error.find("missing-pin.crt") != std::string::npos, error);

  settings = settingsFor(node, "");
  BOOST_TEST(!link.configure(settings, error));
  BOOST_TEST(error.find("CA file or a pinned peer certificate") != std::string::npos, error);

  settings = settingsFor(node, pki.caFile());
  settings.maxOutputBytes = settings.maxFrameBytes;
  BOOST_TEST(!link.configure(settings, error));
  BOOST_TEST(error.find("maxOutputBytes") != std::string::npos, error);

  BOOST_TEST(link.configure(settingsFor(node, pki.caFile()), error), error);
}

BOOST_AUTO_TEST_SUITE_END()
