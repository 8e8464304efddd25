// Bytes in: a verified heartbeat or a counted drop, for every kind of datagram.
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "fixtures.hpp"
#include "heartbeat/receiver.hpp"
#include "heartbeat/sender.hpp"

namespace hb = sipha::agent::heartbeat;
using hb::DropReason;
using hb::test::Bytes;
using sipha::agent::Path;
using sipha::agent::PeerState;
using sipha::agent::Role;

namespace {

hb::ReceiverConfig config(std::string peer = "node-a", std::uint64_t floor = 0) {
  return hb::ReceiverConfig{"node-b", std::move(peer), floor};
}

PeerState stateOf(std::string nodeId = "node-a") {
  PeerState s;
  s.nodeId = std::move(nodeId);
  s.role = Role::Primary;
  s.epoch = 3;
  s.ready = true;
  s.witnessOk = true;
  return s;
}

Bytes bytesOf(const std::optional<hb::Datagram>& d) {
  BOOST_REQUIRE(d.has_value());
  return Bytes(d->view().begin(), d->view().end());
}

// node-a's agent: sends with its own boot and counter.
struct Peer {
  hb::Sender sender;
  explicit Peer(std::uint64_t boot) : sender(hb::test::testKey(), boot) {}
  Bytes next(Path path = Path::HaLink, PeerState state = stateOf()) {
    return bytesOf(sender.seal(path, state, 1000 * sender.nextSequence()));
  }
};

std::optional<DropReason> verdictOf(hb::Receiver& r, const Bytes& d, Path on = Path::HaLink) {
  return r.receive(d, on).drop;
}

std::string name(std::optional<DropReason> drop) {
  return drop ? std::string(hb::dropReasonName(*drop)) : std::string("accepted");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(receiver)

BOOST_AUTO_TEST_CASE(accepts_what_the_sender_sealed) {
  hb::Receiver r(config(), hb::test::testKey());
  BOOST_TEST_REQUIRE(r.ok());
  Peer peer(100);
  BOOST_TEST(peer.sender.ok());
  const hb::Verdict v = r.receive(peer.next(Path::Service), Path::Service);
  BOOST_TEST_REQUIRE(v.accepted(), name(v.drop));
  BOOST_TEST((v.heartbeat.state == stateOf()));
  BOOST_TEST((v.heartbeat.path == Path::Service));
  BOOST_TEST(v.heartbeat.bootId == 100u);
  BOOST_TEST(v.heartbeat.sequence == 1u);
  BOOST_TEST(v.heartbeat.sendTimeUs == 1000u);
  BOOST_TEST(v.newBoot);
  BOOST_TEST(v.order == 1u);
  const sipha::agent::HeartbeatReceived event =
      hb::heartbeatEvent(v, sipha::agent::TimePoint{sipha::agent::Duration{5}});
  BOOST_TEST((event.peer == stateOf()));
  BOOST_TEST((event.path == Path::Service));
  BOOST_TEST(event.seq == 1u);
  BOOST_TEST(r.counters().accepted == 1u);
  BOOST_TEST(r.counters().droppedTotal() == 0u);
  BOOST_TEST(r.peerBootId() == 100u);

  const hb::Verdict second = r.receive(peer.next(), Path::HaLink);
  BOOST_TEST(second.accepted());
  BOOST_TEST(!second.newBoot);
  BOOST_TEST(second.order == 2u);
}

BOOST_AUTO_TEST_CASE(the_golden_datagram_is_accepted) {
  hb::Receiver r(config(), hb::test::testKey());
  const hb::Verdict v = r.receive(hb::test::goldenDatagram(), Path::Service);
  BOOST_TEST_REQUIRE(v.accepted(), name(v.drop));
  BOOST_TEST((v.heartbeat == hb::test::sampleHeartbeat()));
}

BOOST_AUTO_TEST_CASE(a_replay_is_refused_out_of_order_accepted_once) {
  hb::Receiver r(config(), hb::test::testKey());
  Peer peer(7);
  std::vector<Bytes> sent;
  for (int i = 0; i < 10; ++i) sent.push_back(peer.next());
  BOOST_TEST(!verdictOf(r, sent[9]));
  BOOST_TEST((verdictOf(r, sent[9]) == DropReason::Replayed));
  for (int i = 8; i >= 0; --i) {
    const hb::Verdict v = r.receive(sent[i], Path::HaLink);
    BOOST_TEST(v.accepted(), i);
    BOOST_TEST(v.order ==
               static_cast<std::uint64_t>(i + 1));  // older: the decision keeps seq 10's state
  }
  for (const Bytes& d : sent) BOOST_TEST((verdictOf(r, d) == DropReason::Replayed));
  BOOST_TEST(r.counters().accepted == 10u);
  BOOST_TEST(r.counters().replayed == 11u);
}

BOOST_AUTO_TEST_CASE(older_than_the_window_is_refused) {
  hb::Receiver r(config(), hb::test::testKey());
  Peer peer(7);
  const Bytes first = peer.next();
  Bytes last;
  for (std::uint64_t i = 0; i < hb::ReplayWindow::kSize; ++i) last = peer.next();
  BOOST_TEST(!verdictOf(r, last));  // sequence kSize + 1
  BOOST_TEST((verdictOf(r, first) == DropReason::TooOld));
  BOOST_TEST(r.counters().tooOld == 1u);
}

BOOST_AUTO_TEST_CASE(a_restart_is_accepted_and_the_previous_boot_replayed_is_refused) {
  hb::Receiver r(config(), hb::test::testKey());
  std::vector<Bytes> previous;
  {
    Peer before(hb::nextBootId(0, 1'700'000'000'000'000));
    for (int i = 0; i < 5; ++i) previous.push_back(before.next());
    for (const Bytes& d : previous) BOOST_TEST(!verdictOf(r, d));
  }
  // The peer's agent restarts: a higher boot id, its counter at 1 again.
  const std::uint64_t oldBoot = r.peerBootId();
  Peer after(hb::nextBootId(oldBoot, 1'600'000'000'000'000));  // even with the clock set back
  BOOST_TEST(after.sender.bootId() > oldBoot);
  const hb::Verdict v = r.receive(after.next(), Path::HaLink);
  BOOST_TEST_REQUIRE(v.accepted(), name(v.drop));
  BOOST_TEST(v.newBoot);
  BOOST_TEST(v.heartbeat.sequence == 1u);
  BOOST_TEST(v.order == 6u);  // after everything of the previous boot
  for (const Bytes& d : previous) BOOST_TEST((verdictOf(r, d) == DropReason::OldBoot));
  BOOST_TEST(r.counters().oldBoot == 5u);
  BOOST_TEST(!verdictOf(r, after.next()));

  // This agent restarts too, with the peer's boot persisted: the old boot is still refused.
  hb::Receiver restarted(config("node-a", r.peerBootId()), hb::test::testKey());
  for (const Bytes& d : previous) BOOST_TEST((verdictOf(restarted, d) == DropReason::OldBoot));
  const hb::Verdict again = restarted.receive(after.next(), Path::HaLink);
  BOOST_TEST(again.accepted(), name(again.drop));
  BOOST_TEST(!again.newBoot);
}

BOOST_AUTO_TEST_CASE(from_self_unknown_peer_and_wrong_path) {
  hb::Receiver r(config(), hb::test::testKey());
  Peer peer(1);
  BOOST_TEST((verdictOf(r, peer.next(Path::HaLink, stateOf("node-b"))) == DropReason::FromSelf));
  BOOST_TEST((verdictOf(r, peer.next(Path::HaLink, stateOf("node-c"))) == DropReason::UnknownPeer));
  BOOST_TEST((verdictOf(r, peer.next(Path::HaLink), Path::Service) == DropReason::WrongPath));
  BOOST_TEST((verdictOf(r, peer.next(Path::Service), Path::HaLink) == DropReason::WrongPath));
  BOOST_TEST(!verdictOf(r, peer.next(Path::Service), Path::Service));
  BOOST_TEST(r.counters().fromSelf == 1u);
  BOOST_TEST(r.counters().unknownPeer == 1u);
  BOOST_TEST(r.counters().wrongPath == 2u);
  // Dropped before the window: the sequence numbers they carried are still unused there.
  BOOST_TEST(r.counters().accepted == 1u);
}

BOOST_AUTO_TEST_CASE(an_unconfigured_peer_is_learnt_from_the_first_authenticated_one) {
  hb::Receiver r(config(""), hb::test::testKey());
  Peer peer(1);
  BOOST_TEST(r.peerNodeId().empty());
  BOOST_TEST((verdictOf(r, peer.next(Path::HaLink, stateOf("node-b"))) == DropReason::FromSelf));
  hb::Heartbeat forged = hb::test::sampleHeartbeat();
  forged.state.nodeId = "forged";
  const Bytes forgedBytes = hb::test::seal(forged, hb::test::otherKey());
  BOOST_TEST((verdictOf(r, forgedBytes, Path::Service) == DropReason::BadMac));
  BOOST_TEST(r.peerNodeId().empty());
  BOOST_TEST(!verdictOf(r, peer.next(Path::HaLink, stateOf("node-x"))));
  BOOST_TEST(r.peerNodeId() == "node-x");
  BOOST_TEST((verdictOf(r, peer.next(Path::HaLink, stateOf("node-y"))) == DropReason::UnknownPeer));
}

BOOST_AUTO_TEST_CASE(wrong_key_is_refused) {
  hb::Receiver r(config(), hb::test::otherKey());
  Peer peer(1);
  BOOST_TEST((verdictOf(r, peer.next()) == DropReason::BadMac));
  BOOST_TEST((verdictOf(r, hb::test::goldenDatagram(), Path::Service) == DropReason::BadMac));
  BOOST_TEST(r.counters().badMac == 2u);
  BOOST_TEST(r.counters().accepted == 0u);
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_anywhere_is_refused) {
  const Bytes golden = hb::test::goldenDatagram();
  hb::Receiver r(config(), hb::test::testKey());
  std::uint64_t drops = 0;
  for (std::size_t bit = 0; bit < golden.size() * 8; ++bit) {
    Bytes damaged = golden;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    const hb::Verdict v = r.receive(damaged, Path::Service);
    BOOST_TEST_REQUIRE(!v.accepted(), "bit " << bit);
    // In the magic or the version it is caught before the tag; anywhere else by the tag.
    const DropReason expected = bit < 32   ? DropReason::BadMagic
                                : bit < 40 ? DropReason::BadVersion
                                           : DropReason::BadMac;
    BOOST_TEST((*v.drop == expected), "bit " << bit << ": " << name(v.drop));
    ++drops;
  }
  BOOST_TEST(r.counters().droppedTotal() == drops);
  // And the undamaged one still goes through: nothing above moved the window.
  BOOST_TEST(!verdictOf(r, golden, Path::Service));
}

BOOST_AUTO_TEST_CASE(every_prefix_and_every_extension_is_refused) {
  hb::Receiver r(config(), hb::test::testKey());
  Peer peer(1);
  const Bytes d = peer.next();
  for (std::size_t n = 0; n < d.size(); ++n) {
    const Bytes prefix(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n));
    const std::optional<DropReason> drop = verdictOf(r, prefix);
    BOOST_TEST_REQUIRE(drop.has_value(), "prefix of " << n);
    BOOST_TEST(
        (n < hb::kMinDatagramBytes ? *drop == DropReason::TooShort : *drop == DropReason::BadMac),
        "prefix of " << n << ": " << name(drop));
  }
  Bytes longer = d;
  for (int extra = 1; extra <= 80; ++extra) {
    longer.push_back(0);
    const std::optional<DropReason> drop = verdictOf(r, longer);
    BOOST_TEST_REQUIRE(drop.has_value(), "extended by " << extra);
    BOOST_TEST((*drop == DropReason::BadMac || *drop == DropReason::TooLong), name(drop));
  }
  BOOST_TEST((verdictOf(r, Bytes(hb::kMaxDatagramBytes + 1, 0)) == DropReason::TooLong));
  BOOST_TEST((verdictOf(r, Bytes(65536, 0)) == DropReason::TooLong));
  BOOST_TEST((verdictOf(r, Bytes(hb::kMinDatagramBytes, 0)) == DropReason::BadMagic));
  BOOST_TEST(!verdictOf(r, d));
  BOOST_TEST(r.counters().accepted == 1u);
}

BOOST_AUTO_TEST_CASE(authenticated_but_malformed_is_counted_apart) {
  hb::Receiver r(config(), hb::test::testKey());
  Bytes body = hb::test::encode(hb::test::sampleHeartbeat());
  body[7] = 0x80;  // a reserved flag
  hb::Verdict v = r.receive(hb::test::signRaw(body, hb::test::testKey()), Path::Service);
  BOOST_TEST((v.drop == DropReason::Malformed));
  BOOST_TEST((v.decodeError == hb::DecodeError::BadFlags));
  body = hb::test::encode(hb::test::sampleHeartbeat());
  body.push_back('x');  // one byte after the node id, under the tag
  v = r.receive(hb::test::signRaw(body, hb::test::testKey()), Path::Service);
  BOOST_TEST((v.decodeError == hb::DecodeError::LengthMismatch));
  body = hb::test::encode(hb::test::sampleHeartbeat());
  body[4] = 2;  // a version this agent does not speak, correctly signed
  v = r.receive(hb::test::signRaw(body, hb::test::testKey()), Path::Service);
  BOOST_TEST((v.drop == DropReason::BadVersion));
  BOOST_TEST(r.counters().malformed == 2u);
  BOOST_TEST(r.counters().badVersion == 1u);
}

BOOST_AUTO_TEST_CASE(the_sender_refuses_what_cannot_be_sent_without_using_a_number) {
  hb::Sender sender(hb::test::testKey(), 1);
  BOOST_TEST(!sender.seal(Path::HaLink, stateOf("has space"), 0).has_value());
  BOOST_TEST(!sender.seal(Path::HaLink, stateOf(""), 0).has_value());
  BOOST_TEST(sender.nextSequence() == 1u);
  BOOST_TEST(sender.seal(Path::HaLink, stateOf(), 0).has_value());
  BOOST_TEST(sender.nextSequence() == 2u);
  BOOST_TEST(hb::nextBootId(0, 0) == 1u);
  BOOST_TEST(hb::nextBootId(41, 0) == 42u);
  BOOST_TEST(hb::nextBootId(41, 1000) == 1000u);
  BOOST_TEST(hb::nextBootId(~std::uint64_t{0}, 5) == ~std::uint64_t{0});
}

BOOST_AUTO_TEST_CASE(counters_name_every_reason) {
  hb::ReceiverCounters c;
  for (std::size_t i = 0; i < hb::kDropReasonCount; ++i) {
    const auto reason = static_cast<DropReason>(i);
    BOOST_TEST(hb::dropReasonName(reason) != "?");
    c.dropped(reason) += i + 1;
    BOOST_TEST(c.dropped(reason) == i + 1);
  }
  BOOST_TEST(c.droppedTotal() == hb::kDropReasonCount * (hb::kDropReasonCount + 1) / 2);
  BOOST_TEST(c.accepted == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
