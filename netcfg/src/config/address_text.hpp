#pragma once
// Text forms of addresses in the [network] section: literals, CIDR prefixes and lists.
// Addresses come back in canonical form (inet_ntop of inet_pton), so "2001:DB8::0001" and
// "2001:db8::1" compare equal and match what the kernel reports.
#include <string>
#include <string_view>
#include <vector>

#include "common/config/option_values.hpp"
#include "config/network_config.hpp"

namespace sipha::netcfg {

// AF_INET, AF_INET6, or 0 when `text` is not an address literal.
int addressFamily(std::string_view text);

// The canonical literal, or the reason `text` is not an IPv4/IPv6 address.
common::ValueOr<std::string> parseAddress(std::string_view text);

// "ADDR/LEN" (RFC 4632 section 3.1 notation; LEN <= 32 or 128). Without "/LEN": refused when
// `lengthRequired`, otherwise a host prefix (/32 or /128).
common::ValueOr<Prefix> parsePrefix(std::string_view text, bool lengthRequired);

// Items separated by commas and/or whitespace; empty items are skipped. Views into `text`.
std::vector<std::string_view> splitList(std::string_view text);

// "ADDR/LEN": the form `ip address` prints and docs/network.md uses.
std::string prefixText(const Prefix& prefix);

// True when `address` (same family) lies inside `network`.
bool prefixContains(const Prefix& network, std::string_view address);

}  // namespace sipha::netcfg
