#pragma once
// Where a trunk, softswitch or routed contact is reached: the configured `contact` and
// `contact-backup` values of the reference's DN tables, either "host:port[;params]" (the form
// the reference's tables show, "<ipaddress>:<SIP port>;transport=tls") or a SIP/SIPS URI
// (RFC 3261 19.1). A user part written in a contact is ignored: routing puts the dialled number
// there.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "transport/peer.hpp"

namespace sipha::routing {

struct NextHop {
  transport::TransportKind transport = transport::TransportKind::Udp;
  bool sips = false;       // written as a sips: URI (implies TLS, RFC 3261 26.2)
  std::string host;        // hostname, IPv4, or bracketed IPv6 reference
  std::uint16_t port = 0;  // as written, or the default of the transport (5060 / 5061)
  bool explicitPort = false;
  std::string params;  // URI parameters as written, without the leading ';' (transport= included)

  friend bool operator==(const NextHop&, const NextHop&) = default;
};

// Parses one contact. Returns an empty string on success, otherwise the reason.
std::string parseContact(std::string_view text, NextHop& out);

// Parses a comma-separated list of contacts (RFC 3261 7.3.1 style, blanks allowed around
// commas). Appends to `out`; returns an empty string or the reason naming the bad element.
std::string parseContactList(std::string_view text, std::vector<NextHop>& out);

// "sip:USER@host:port;params" (sips: when the contact was sips). An empty user gives
// "sip:host:port;params" (the OPTIONS probe's Request-URI). The port is always written.
std::string requestUri(const NextHop& hop, std::string_view user);

// "host:port/transport", for logs and D-Bus.
std::string describe(const NextHop& hop);

}  // namespace sipha::routing
