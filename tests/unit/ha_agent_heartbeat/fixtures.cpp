#include "fixtures.hpp"

#include <array>
#include <stdexcept>

#include "heartbeat/sender.hpp"

namespace sipha::agent::heartbeat::test {

namespace {

PairKey keyFrom(std::uint8_t first) {
  std::array<std::uint8_t, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(first + i);
  auto key = PairKey::fromBytes(bytes);
  if (!key) throw std::logic_error("test key");
  return std::move(*key);
}

}  // namespace

PairKey testKey() { return keyFrom(0); }
PairKey otherKey() { return keyFrom(0x80); }

Heartbeat sampleHeartbeat() {
  Heartbeat h;
  h.path = Path::Service;
  h.bootId = 0x0102030405060708;
  h.sequence = 42;
  h.sendTimeUs = 123456789;
  h.state.nodeId = "node-a";
  h.state.role = Role::Primary;
  h.state.epoch = 7;
  h.state.failing = true;
  h.state.witnessOk = true;
  return h;
}

Bytes goldenDatagram() {
  return {
      0x53, 0x50, 0x48, 0x42, 0x01, 0x01, 0x01, 0x05, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03,
      0x02, 0x01, 0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x15, 0xcd, 0x5b, 0x07, 0x00, 0x00, 0x00, 0x00, 0x06, 0x6e,
      0x6f, 0x64, 0x65, 0x2d, 0x61, 0xcb, 0xe6, 0x5a, 0x79, 0x95, 0xed, 0xe1, 0xd4, 0xc2,
      0x11, 0xa7, 0x96, 0xc0, 0xc9, 0xe8, 0x0e, 0x5c, 0xf1, 0x54, 0x6b, 0xa1, 0x1b, 0xa8,
      0x2f, 0x23, 0xbd, 0xc2, 0x90, 0xa4, 0x16, 0x6b, 0xf8,
  };
}

Bytes encode(const Heartbeat& heartbeat) {
  BodyBuffer body;
  const std::size_t size = encodeBody(heartbeat, body);
  if (size == 0) throw std::logic_error("encode");
  return Bytes(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(size));
}

Bytes seal(const Heartbeat& heartbeat, const PairKey& key) {
  return signRaw(encode(heartbeat), key);
}

Bytes signRaw(std::span<const std::uint8_t> body, const PairKey& key) {
  Authenticator authenticator(key);
  Tag tag;
  if (!authenticator.sign(body, tag)) throw std::logic_error("sign");
  Bytes out(body.begin(), body.end());
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

}  // namespace sipha::agent::heartbeat::test
