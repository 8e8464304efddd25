// libFuzzer entry (built from tests/fuzz/CMakeLists.txt with -DSIPHA_FUZZ=ON, not part of the
// unit test): DNS answers from the network, parsed as NAPTR and SRV, then selected and ordered
// as a lookup would, must never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "resolver/dns_answer.hpp"
#include "resolver/naptr_select.hpp"
#include "resolver/srv_order.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sipha::resolver;
  const std::span<const unsigned char> message(data, size);
  std::uint32_t ttl = 0;
  std::vector<NaptrRecord> naptr;
  if (parseNaptrAnswer(message, naptr, ttl) == ResolveStatus::Ok) {
    (void)selectNaptr(std::move(naptr), size % 2 == 0);
  }
  std::vector<SrvRecord> srv;
  if (parseSrvAnswer(message, srv, ttl) == ResolveStatus::Ok) {
    std::uint32_t state = static_cast<std::uint32_t>(size);
    const RandomSource random = [&state](std::uint32_t upper) {
      state = state * 1664525u + 1013904223u;
      return upper == UINT32_MAX ? state : state % (upper + 1);
    };
    (void)orderSrv(std::move(srv), random);
  }
  return 0;
}
