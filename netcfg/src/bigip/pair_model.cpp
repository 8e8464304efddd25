#include "bigip/pair_model.hpp"

namespace sipha::netcfg {
namespace {

std::optional<NodeModel> loadNode(const common::Config& config, std::vector<std::string>& errors) {
  auto network = parseNetworkConfig(config);
  auto bigip = parseBigipOptions(config);
  for (const auto& error : network.errors) errors.push_back(error.toString());
  for (const auto& error : bigip.errors) errors.push_back(error.toString());
  if (!network.config || !bigip.errors.empty()) return std::nullopt;
  return NodeModel{&config, std::move(*network.config), std::move(bigip.options)};
}

}  // namespace

PairModelResult loadPair(const common::Config& node1, const common::Config& node2) {
  PairModelResult result;
  auto primary = loadNode(node1, result.errors);
  auto backup = loadNode(node2, result.errors);
  if (primary && backup && result.errors.empty())
    result.pair = PairModel{std::move(*primary), std::move(*backup)};
  return result;
}

}  // namespace sipha::netcfg
