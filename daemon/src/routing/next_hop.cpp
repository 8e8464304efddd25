#include "routing/next_hop.hpp"

#include <arpa/inet.h>

#include <cctype>

#include "sip/uri.hpp"

namespace sipha::routing {
namespace {

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool equalsNoCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) noexcept {
  return text.size() >= prefix.size() && equalsNoCase(text.substr(0, prefix.size()), prefix);
}

}  // namespace

std::string parseContact(std::string_view text, NextHop& out) {
  text = trim(text);
  if (text.empty()) return "empty contact";
  // The reference writes "<ipaddress>:<SIP port>" without a scheme: read it as a sip: URI.
  std::string buffer;
  if (!startsWithNoCase(text, "sip:") && !startsWithNoCase(text, "sips:")) {
    buffer.reserve(text.size() + 4);
    buffer.append("sip:").append(text);
    text = buffer;
  }
  sip::Uri uri;
  if (!sip::parseUri(text, uri) || !uri.isSip()) return "not a SIP URI or host:port";
  if (uri.host.empty()) return "no host";
  if (!uri.headers.empty()) return "URI headers are not allowed in a contact";
  if (uri.hasPort && uri.port == 0) return "port 0";
  out = NextHop{};
  out.sips = uri.scheme == sip::UriScheme::Sips;
  out.transport = out.sips ? transport::TransportKind::Tls : transport::TransportKind::Udp;
  if (const auto value = uri.paramList().find("transport")) {
    if (equalsNoCase(*value, "udp")) {
      if (out.sips) return "sips: with transport=udp";
    } else if (equalsNoCase(*value, "tcp")) {
      if (!out.sips) out.transport = transport::TransportKind::Tcp;
    } else if (equalsNoCase(*value, "tls")) {
      out.transport = transport::TransportKind::Tls;
    } else {
      std::string refusal = "unsupported transport '";
      refusal.append(*value).append("'");
      return refusal;
    }
  }
  out.host.assign(uri.host);
  for (char& c : out.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.explicitPort = uri.hasPort;
  out.port =
      uri.hasPort ? uri.port : (out.transport == transport::TransportKind::Tls ? 5061 : 5060);
  out.params.assign(uri.params);
  return {};
}

std::string parseContactList(std::string_view text, std::vector<NextHop>& out) {
  if (trim(text).empty()) return "empty contact list";
  while (true) {
    const auto comma = text.find(',');
    const auto element = trim(text.substr(0, comma));
    NextHop hop;
    if (auto reason = parseContact(element, hop); !reason.empty()) {
      std::string located = "'";  // built in steps: GCC 12 -O3 -Wrestrict misfires on "x" + s
      located.append(element).append("': ").append(reason);
      return located;
    }
    out.push_back(std::move(hop));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return {};
}

namespace {

// An IPv4 address or a bracketed IPv6 reference (as parseContact stores them).
bool isLiteralHost(const std::string& host) {
  if (!host.empty() && host.front() == '[') return true;
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1;
}

}  // namespace

std::string requestUri(const NextHop& hop, std::string_view user) {
  std::string uri;
  uri.reserve(16 + user.size() + hop.host.size() + hop.params.size());
  uri.append(hop.sips ? "sips:" : "sip:");
  if (!user.empty()) uri.append(user).push_back('@');
  uri.append(hop.host);
  // A host name written without a port keeps it so: RFC 3263 4.2 then looks up SRV (and NAPTR)
  // records, which an explicit port would skip (docs/dns.md). Literal addresses get the port.
  if (hop.explicitPort || isLiteralHost(hop.host)) {
    uri.push_back(':');
    uri.append(std::to_string(hop.port));
  }
  if (!hop.params.empty()) uri.append(";").append(hop.params);
  return uri;
}

std::string describe(const NextHop& hop) {
  return hop.host + ":" + std::to_string(hop.port) + "/" +
         std::string(transport::transportName(hop.transport));
}

}  // namespace sipha::routing
