#include "io/options_probe.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace sipha::agent::io {
namespace {

std::string hostText(const SocketAddress& address) {
  return address.family() == AF_INET6 ? "[" + address.addressText() + "]" : address.addressText();
}

std::uint16_t portOf(const SocketAddress& address) {
  const auto* in = reinterpret_cast<const sockaddr_in*>(&address.storage);  // same offset in v6
  return ntohs(in->sin_port);
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// A quoted-string's content (RFC 3261 25.1: backslash escapes), or a token as it is.
std::string unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return std::string(text);
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

// "node=ID;epoch=N" (RFC 3261 generic-param syntax, any order; the node a token or a
// quoted-string).
void parseServing(std::string_view value, ProbeAnswer& answer) {
  std::string node;
  while (!value.empty()) {
    const auto end = value.find(';');
    const std::string_view param = trim(value.substr(0, end));
    value = end == std::string_view::npos ? std::string_view{} : value.substr(end + 1);
    const auto equals = param.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = trim(param.substr(0, equals));
    const std::string_view text = trim(param.substr(equals + 1));
    if (equalsNoCase(name, "node")) node = unquote(text);
    if (equalsNoCase(name, "epoch")) {
      std::from_chars(text.data(), text.data() + text.size(), answer.epoch);
    }
  }
  if (!node.empty()) answer.node = std::move(node);
}

}  // namespace

std::string probeCallId(std::string_view nodeId, std::uint64_t sequence) {
  return "sipha-agent-" + std::string(nodeId) + "-" + std::to_string(sequence);
}

std::string buildProbeRequest(const SocketAddress& local, const SocketAddress& target,
                              std::string_view nodeId, std::uint64_t sequence) {
  const std::string n = std::to_string(sequence);
  const std::string localHost = hostText(local);
  std::string text;
  text.reserve(512);
  text += "OPTIONS sip:" + hostText(target) + ":" + std::to_string(portOf(target)) + " SIP/2.0\r\n";
  text += "Via: SIP/2.0/UDP " + localHost + ":" + std::to_string(portOf(local)) +
          ";branch=z9hG4bK-sipha-agent-" + n + "\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "From: <sip:sipha-agent@" + localHost + ">;tag=agent" + n + "\r\n";
  text += "To: <sip:" + hostText(target) + ">\r\n";
  text += "Call-ID: " + probeCallId(nodeId, sequence) + "\r\n";
  text += "CSeq: " + n + " OPTIONS\r\n";
  text += "Content-Length: 0\r\n\r\n";
  return text;
}

std::optional<ProbeAnswer> parseProbeAnswer(std::string_view datagram, std::string_view nodeId,
                                            std::uint64_t sequence) {
  constexpr std::string_view kVersion = "SIP/2.0 ";
  if (!datagram.starts_with(kVersion) || datagram.size() < kVersion.size() + 3) {
    return std::nullopt;
  }
  ProbeAnswer answer;
  const auto code = datagram.substr(kVersion.size(), 3);
  const auto [end, ec] = std::from_chars(code.data(), code.data() + 3, answer.status);
  if (ec != std::errc{} || end != code.data() + 3) return std::nullopt;
  const std::string expectedCallId = probeCallId(nodeId, sequence);
  bool matched = false;
  std::size_t at = datagram.find("\r\n");
  while (at != std::string_view::npos) {
    const std::size_t start = at + 2;
    const std::size_t next = datagram.find("\r\n", start);
    const std::string_view line = datagram.substr(
        start, next == std::string_view::npos ? std::string_view::npos : next - start);
    if (line.empty()) break;  // end of the headers
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = trim(line.substr(0, colon));
      const std::string_view value = trim(line.substr(colon + 1));
      if (equalsNoCase(name, "Call-ID") || equalsNoCase(name, "i")) {
        matched = value == expectedCallId;
      } else if (equalsNoCase(name, "X-Sipha-Serving")) {
        parseServing(value, answer);
      }
    }
    at = next;
  }
  if (!matched) return std::nullopt;
  return answer;
}

}  // namespace sipha::agent::io
