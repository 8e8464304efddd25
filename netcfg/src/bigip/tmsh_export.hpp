#pragma once
// The BIG-IP side of the pair (docs/bigip.md): a consistency check of the two nodes'
// configuration files, and the tmsh commands that create what the reference's BIG-IP LTM
// procedure creates (VLANs ... the TLS virtual server), with the pair's own values.
#include <string>
#include <vector>

#include "bigip/pair_model.hpp"
#include "common/config/config.hpp"

namespace sipha::netcfg {

struct PairCheck {
  std::vector<std::string> errors;  // empty: consistent; else one reason per line
  bool ok() const { return errors.empty(); }
};

// node1: the primary's configuration file, node2: the backup's.
PairCheck checkPair(const common::Config& node1, const common::Config& node2);
PairCheck checkPair(const PairModel& pair);

// The tmsh script for a pair checkPair accepts; empty when checkPair refuses the pair.
std::string exportTmsh(const common::Config& node1, const common::Config& node2);
std::string exportTmsh(const PairModel& pair);  // no check: the caller has checked

}  // namespace sipha::netcfg
