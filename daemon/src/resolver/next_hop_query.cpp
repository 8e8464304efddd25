#include "resolver/next_hop_query.hpp"

#include "sip/text.hpp"
#include "sip/uri.hpp"
#include "transport/peer_format.hpp"

namespace sipha::resolver {

using sip::text::iequals;
using sip::text::toLower;

bool queryFromUri(std::string_view uriText, NextHopQuery& out) {
  sip::Uri uri;
  if (!sip::parseUri(uriText, uri) || !uri.isSip()) return false;
  out = NextHopQuery{};
  out.secure = uri.scheme == sip::UriScheme::Sips;
  const sip::ParamList params = uri.paramList();
  std::string_view host = uri.host;
  // RFC 3263 4.1: "If the URI contains an maddr parameter, the TARGET is the maddr value".
  if (const auto maddr = params.find("maddr"); maddr && !maddr->empty()) host = *maddr;
  out.host = std::string{bareHost(host)};
  if (out.host.empty()) return false;
  if (uri.hasPort) {
    if (uri.port == 0) return false;
    out.port = uri.port;
  }
  if (const auto param = params.find("transport")) {
    if (iequals(*param, "udp")) {
      out.transport = transport::TransportKind::Udp;
    } else if (iequals(*param, "tcp")) {
      out.transport = transport::TransportKind::Tcp;
    } else if (iequals(*param, "tls")) {
      out.transport = transport::TransportKind::Tls;
    } else {
      return false;  // sctp, ws, wss ...: not supported by sipd's transports
    }
  }
  // RFC 3261 26.2: a sips URI is reached over TLS whatever its transport parameter says.
  if (out.secure) out.transport.reset();
  return true;
}

transport::TransportKind fallbackTransport(const NextHopQuery& query) noexcept {
  if (query.secure) return transport::TransportKind::Tls;
  return query.transport.value_or(transport::TransportKind::Udp);
}

std::string_view bareHost(std::string_view host) noexcept {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

bool resolveLiteral(const NextHopQuery& query, ResolveResult& result) {
  const transport::TransportKind kind = fallbackTransport(query);
  const std::uint16_t port = query.port != 0 ? query.port : defaultPort(kind);
  transport::Peer peer;
  if (!transport::makePeer(kind, bareHost(query.host), port, peer)) return false;
  result.status = ResolveStatus::Ok;
  result.name = query.host;
  result.detail.clear();
  result.peers.assign(1, peer);
  return true;
}

std::string queryKey(const NextHopQuery& query) {
  std::string key;
  key.reserve(query.host.size() + 12);
  for (const char c : bareHost(query.host)) key.push_back(toLower(c));
  key += '|';
  key += std::to_string(query.port);
  key += '|';
  key += query.transport ? transport::transportName(*query.transport) : std::string_view{"-"};
  key += query.secure ? "|s" : "|";
  return key;
}

}  // namespace sipha::resolver
