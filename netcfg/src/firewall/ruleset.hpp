#pragma once
// The host's nftables ruleset: one table, `inet sipha`, owned by sipha and replaced whole in one
// atomic transaction (docs/firewall.md). It holds the inbound firewall the BIG-IP contract asks of
// the hosts (reference, "Network and Host Prerequisites") and, in takeover mode while this node
// holds the VIP, the NAT the reference's iRule applies on the BIG-IP ("Configuring an iRule").
#include <string>

#include "common/config/config.hpp"
#include "config/network_config.hpp"

namespace sipha::netcfg {

inline constexpr const char* kFirewallTable = "sipha";  // family inet

// The complete nft script: creates the table if absent, deletes it and recreates it with every
// chain, so applying it is one transaction that replaces whatever sipha had before.
// holdsVip: takeover mode and this node is primary (SNAT to the VIP, DNAT of the VIP's SIP ports).
std::string buildRuleset(const common::Config& config, const NetworkConfig& network, bool holdsVip);

struct ApplyResult {
  bool ok = false;
  std::string error;  // nft's own messages when !ok
};

// Runs the script through libnftables in the caller's network namespace.
ApplyResult applyRuleset(const std::string& script);
// Parses and checks the script against the kernel without committing it (nft --check).
ApplyResult checkRuleset(const std::string& script);
// Deletes table inet sipha; succeeds when it was already absent.
ApplyResult removeRuleset();

}  // namespace sipha::netcfg
