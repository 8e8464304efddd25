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
  // Zero-weight records first within a priority ("arrange all SRV RRs ... in any order, except
  // that all those with weight 0 are placed at the beginning of the list").
  std::stable_sort(records.begin(), records.end(), [](const SrvRecord& a, const SrvRecord& b) {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.weight == 0 && b.weight != 0;
  });
  std::vector<SrvRecord> ordered;
  ordered.reserve(records.size());
  std::size_t begin = 0;
  while (begin < records.size()) {
    std::size_t end = begin;
    while (end < records.size() && records[end].priority == records[begin].priority) ++end;
    // Repeatedly: sum the weights of the unordered records, pick a random number in [0, sum],
    // select the first record whose running sum is >= that number.
    std::vector<SrvRecord> group(std::make_move_iterator(records.begin() + begin),
                                 std::make_move_iterator(records.begin() + end));
    while (!group.empty()) {
      std::uint32_t sum = 0;
      for (const auto& r : group) sum += r.weight;
      const std::uint32_t draw = sum == 0 ? 0 : std::min(random(sum), sum);
      std::uint32_t running = 0;
      std::size_t chosen = group.size() - 1;
      for (std::size_t i = 0; i < group.size(); ++i) {
        running += group[i].weight;
        if (running >= draw) {
          chosen = i;
          break;
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
