// libFuzzer entry: heartbeat datagrams as sipha-agent receives them from the network
// (ha-agent/src/heartbeat/receiver.hpp). Each input goes in twice: as it is (almost always
// dropped before or at the tag), and as a body signed with the pair key, so the fuzzer reaches
// the decoder and the replay window behind the tag. Every datagram is counted exactly once; what
// decodes encodes back to the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "heartbeat/authenticator.hpp"
#include "heartbeat/message.hpp"
#include "heartbeat/pair_key.hpp"
#include "heartbeat/receiver.hpp"

namespace {

namespace hb = sipha::agent::heartbeat;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

const hb::PairKey& key() {
  static const hb::PairKey k = [] {
    std::uint8_t bytes[32];
    for (std::size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<std::uint8_t>(i);
    return std::move(*hb::PairKey::fromBytes(bytes));
  }();
  return k;
}

hb::Verdict receive(hb::Receiver& receiver, std::span<const std::uint8_t> datagram,
                    sipha::agent::Path path) {
  const std::uint64_t before = receiver.counters().accepted + receiver.counters().droppedTotal();
  const hb::Verdict verdict = receiver.receive(datagram, path);
  check(receiver.counters().accepted + receiver.counters().droppedTotal() == before + 1);
  if (!verdict.accepted()) return verdict;
  check(verdict.heartbeat.path == path);
  check(verdict.heartbeat.state.nodeId != "self");
  hb::BodyBuffer body;
  const std::size_t size = hb::encodeBody(verdict.heartbeat, body);
  check(size + hb::kTagBytes == datagram.size());
  check(
      std::equal(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(size), datagram.begin()));
  return verdict;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  // The size's parity picks the path it arrived on (the fuzzer varies it with the node id's
  // length); the learnt peer and the window carry over from the raw datagram to the signed one.
  const auto path = (size & 1) != 0 ? sipha::agent::Path::Service : sipha::agent::Path::HaLink;
  hb::Receiver receiver(hb::ReceiverConfig{"self", "", 0}, key());
  check(receiver.ok());
  receive(receiver, in, path);

  // The input as a body, signed: what a peer holding the key could send.
  if (size > hb::kMaxBodyBytes + 8) return 0;
  static hb::Authenticator authenticator(key());
  hb::Tag tag;
  check(authenticator.sign(in, tag));
  std::uint8_t datagram[hb::kMaxBodyBytes + 8 + hb::kTagBytes];
  std::copy(in.begin(), in.end(), datagram);
  std::copy(tag.begin(), tag.end(), datagram + size);
  const std::span<const std::uint8_t> signedDatagram(datagram, size + hb::kTagBytes);
  const hb::Verdict first = receive(receiver, signedDatagram, path);
  // Twice: the second is a replay whenever the first was accepted.
  const hb::Verdict again = receive(receiver, signedDatagram, path);
  if (first.accepted()) check(again.drop == hb::DropReason::Replayed);
  return 0;
}
