#pragma once
// The sources whose new calls sipd takes without digest authentication
// (docs/authentication.md): the `[TServer] trusted-networks`, and the literal addresses of the
// `contact` and `contact-backup` options of Trunk DNs and softswitch VoIP Service DNs (sipd
// sends calls to those gateways and softswitches, and they send calls to it). A contact written as
// a host name is not resolved for this (resolving would wait on DNS, and its answer can change
// under an attacker's influence): it is reported, and its addresses belong in trusted-networks.
// Matching is by address only (a gateway's TCP connections come from any port).
#include <string>
#include <unordered_set>
#include <vector>

#include "common/config/config.hpp"
#include "common/net/ip_network.hpp"

namespace sipha::core {

class TrustedSources {
 public:
  // `hostNames` receives one line per Trunk / softswitch contact that is a host name (for a
  // notice in the log).
  static TrustedSources build(const common::Config& config, std::vector<std::string>& hostNames);

  bool contains(const common::IpAddress& source) const;
  std::size_t hostCount() const noexcept { return hosts_.size(); }
  std::size_t networkCount() const noexcept { return networks_.size(); }

 private:
  std::unordered_set<common::IpAddress, common::IpAddressHash> hosts_;  // /32 and /128
  std::vector<common::IpNetwork> networks_;                             // the others
};

}  // namespace sipha::core
