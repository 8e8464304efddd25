#pragma once
// What the heartbeat tests share: keys, a sample heartbeat, raw signing of arbitrary bodies.
#include <cstdint>
#include <ostream>
#include <span>
#include <vector>

#include "heartbeat/authenticator.hpp"
#include "heartbeat/message.hpp"
#include "heartbeat/pair_key.hpp"
#include "heartbeat/receiver.hpp"

namespace sipha::agent::heartbeat::test {

using Bytes = std::vector<std::uint8_t>;

// 00 01 02 .. 1f (the key of the golden datagram), and another one.
PairKey testKey();
PairKey otherKey();

// node-a, service path, primary, epoch 7, failing and witness-ok, boot 0x0102030405060708,
// sequence 42, send time 123456789: the golden datagram's heartbeat.
Heartbeat sampleHeartbeat();

// The golden datagram: sampleHeartbeat() under testKey(), computed outside this code (Python's
// hmac module) so it pins the wire format and the HMAC both.
Bytes goldenDatagram();

Bytes encode(const Heartbeat& heartbeat);                               // the body alone
Bytes seal(const Heartbeat& heartbeat, const PairKey& key);             // body and tag
Bytes signRaw(std::span<const std::uint8_t> body, const PairKey& key);  // any body, and its tag

}  // namespace sipha::agent::heartbeat::test

namespace sipha::agent::heartbeat {

// For Boost.Test's messages (found by ADL).
inline std::ostream& operator<<(std::ostream& out, DecodeError error) {
  return out << decodeErrorName(error);
}
inline std::ostream& operator<<(std::ostream& out, KeyError error) {
  return out << keyErrorName(error);
}
inline std::ostream& operator<<(std::ostream& out, DropReason reason) {
  return out << dropReasonName(reason);
}

}  // namespace sipha::agent::heartbeat
