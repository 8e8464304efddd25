#pragma once
// The order in which to try SRV targets (RFC 2782, "Usage rules"): by priority, lowest first,
// and within one priority a weighted random selection, exactly proportional to the weights
// (see srv_order.cpp for the one deviation from the RFC's arithmetic). The random source is
// injected so tests choose the draws.
#include <cstdint>
#include <functional>
#include <vector>

#include "resolver/dns_records.hpp"

namespace sipha::resolver {

// Returns a uniformly distributed value in [0, upperInclusive].
using RandomSource = std::function<std::uint32_t(std::uint32_t upperInclusive)>;

// A RandomSource on std::mt19937 seeded from std::random_device.
RandomSource defaultRandomSource();

// Orders the records for use. Records whose target is "." are dropped: RFC 2782 says a lone "."
// target means the service is decidedly not available at this domain.
std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records, const RandomSource& random);

}  // namespace sipha::resolver
