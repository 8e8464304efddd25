// libFuzzer entry: registrar event records (replication and the journal read them from peers and
// disk) decoded from arbitrary bytes. A record that decodes must re-encode to the same bytes and
// re-decode to an equal Event; any shorter prefix of it must ask for more bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "registrar/event.hpp"

namespace {

using namespace sipha::registrar;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  Event event;
  const DecodeResult decoded = deserializeEvent(in, event);
  if (decoded.status != DecodeStatus::Ok) {
    check(decoded.consumed == 0);
    return 0;
  }
  check(decoded.consumed >= 4 + kEventFixedSize && decoded.consumed <= in.size());

  std::vector<std::byte> out;
  check(serializeEvent(event, out));
  check(out.size() == decoded.consumed);
  Event again;
  const DecodeResult redecoded = deserializeEvent(out, again);
  check(redecoded.status == DecodeStatus::Ok && redecoded.consumed == out.size());
  check(again == event);
  // The format has one encoding per Event (fixed-width integers, q absent = 0xFFFF).
  check(std::equal(out.begin(), out.end(), in.begin()));

  Event partial;
  check(deserializeEvent(in.first(decoded.consumed - 1), partial).status == DecodeStatus::NeedMore);
  return 0;
}
