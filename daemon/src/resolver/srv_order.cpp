#include "resolver/srv_order.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace sipha::resolver {

RandomSource defaultRandomSource() {
  auto engine = std::make_shared<std::mt19937>(std::random_device{}());
  return [engine](std::uint32_t upperInclusive) {
    return std::uniform_int_distribution<std::uint32_t>(0, upperInclusive)(*engine);
  };
}

std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records, const RandomSource& random) {
  std::erase_if(records, [](const SrvRecord& r) { return r.target == "." || r.target.empty(); });
  std::stable_sort(records.begin(), records.end(),
                   [](const SrvRecord& a, const SrvRecord& b) { return a.priority < b.priority; });
  std::vector<SrvRecord> ordered;
  ordered.reserve(records.size());
  std::size_t begin = 0;
  while (begin < records.size()) {
    std::size_t end = begin;
    while (end < records.size() && records[end].priority == records[begin].priority) ++end;
    // Repeatedly: sum the weights of the records not yet ordered, draw a number and take the
    // first record whose running sum exceeds it. RFC 2782 draws in [0, sum] and takes the first
    // running sum >= the draw, which gives the first record of the group one draw too many
    // (weights 1:3 come out 40:60); drawing in [0, sum - 1] with ">" is exactly proportional.
    // Records of weight 0 are then used only after the weighted ones of their priority.
    std::vector<SrvRecord> group(std::make_move_iterator(records.begin() + begin),
                                 std::make_move_iterator(records.begin() + end));
    while (!group.empty()) {
      std::uint32_t sum = 0;
      for (const auto& r : group) sum += r.weight;
      std::size_t chosen = 0;
      if (sum > 0) {
        const std::uint32_t draw = std::min(random(sum - 1), sum - 1);
        std::uint32_t running = 0;
        for (std::size_t i = 0; i < group.size(); ++i) {
          running += group[i].weight;
          if (running > draw) {
            chosen = i;
            break;
          }
        }
      }
      ordered.push_back(std::move(group[chosen]));
      group.erase(group.begin() + static_cast<std::ptrdiff_t>(chosen));
    }
    begin = end;
  }
  return ordered;
}

}  // namespace sipha::resolver
