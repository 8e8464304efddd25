#pragma once
// One Via header value (RFC 3261 20.42, 18.2.1; RFC 3581 rport; RFC 5118 IPv6 sent-by).
#include <cstdint>
#include <string_view>

#include "sip/params.hpp"

namespace sipha::sip {

struct Via {
  std::string_view protocolName;     // "SIP"
  std::string_view protocolVersion;  // "2.0"
  std::string_view transport;        // "UDP", "TCP", "TLS", "SCTP", "WS", ... as written
  std::string_view host;             // sent-by host; IPv6 with brackets
  std::uint16_t port = 0;
  bool hasPort = false;
  std::string_view params;  // raw, after the first ';' (without it)
  std::string_view branch;
  std::string_view received;
  std::string_view maddr;
  std::string_view rport;       // value of rport=, empty when given as a flag
  std::string_view rportParam;  // the whole "rport[=value]" text (for rewriting in responses)
  bool hasRport = false;
  std::uint8_t ttl = 0;
  bool hasTtl = false;
  std::string_view text;  // the whole value

  ParamList paramList() const noexcept { return ParamList(params); }
  // Branch starts with the RFC 3261 magic cookie "z9hG4bK" (17.2.3).
  bool hasRfc3261Branch() const noexcept { return branch.starts_with("z9hG4bK"); }
};

// Parses one Via value (already split from a comma list). False on syntax errors.
bool parseVia(std::string_view value, Via& out) noexcept;

}  // namespace sipha::sip
