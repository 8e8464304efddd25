#pragma once
// The pair as the BIG-IP sees it: each node's configuration file with its [network] and bigip-*
// options parsed. node1 is the primary's file, node2 the backup's (reference, "Configuring SIP
// Server HA": primary and backup hosts).
#include <optional>
#include <string>
#include <vector>

#include "bigip/bigip_options.hpp"
#include "common/config/config.hpp"
#include "config/network_config.hpp"

namespace sipha::netcfg {

struct NodeModel {
  const common::Config* config = nullptr;  // the file as loaded (outlives the model)
  NetworkConfig network;
  BigipOptions bigip;
};

struct PairModel {
  NodeModel primary;  // node1
  NodeModel backup;   // node2
};

struct PairModelResult {
  std::optional<PairModel> pair;    // set only when errors is empty
  std::vector<std::string> errors;  // one reason per line, FILE:LINE: option 'NAME': reason
};

PairModelResult loadPair(const common::Config& node1, const common::Config& node2);

}  // namespace sipha::netcfg
