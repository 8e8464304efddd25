#include "sdp/leg_state.hpp"

#include <charconv>

#include "sdp/parser.hpp"

namespace sipha::sdp {
namespace {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

std::uint64_t fnv(std::uint64_t h, std::string_view s) noexcept {
  for (char c : s) {
    h ^= std::uint8_t(c);
    h *= kFnvPrime;
  }
  return h;
}

// Where the o= line's value sits in `body`: [begin, end) without the line ending.
struct OriginSpan {
  std::size_t lineBegin = std::string::npos;
  std::size_t valueEnd = 0;
  std::size_t lineEnd = 0;  // after the line ending
};

OriginSpan findOrigin(std::string_view body) noexcept {
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto nl = body.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? body.size() : nl + 1;
    if (body.compare(pos, 2, "o=") == 0) {
      std::size_t valueEnd = nl == std::string_view::npos ? body.size() : nl;
      if (valueEnd > pos && body[valueEnd - 1] == '\r') --valueEnd;
      return {pos, valueEnd, end};
    }
    if (body.compare(pos, 2, "m=") == 0) break;
    pos = end;
  }
  return {};
}

bool validField(std::string_view s) noexcept {
  for (char c : s) {
    if (c == ' ' || c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

std::optional<std::uint64_t> parseU64(std::string_view s) {
  std::uint64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> parseHex(std::string_view s) {
  std::uint64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

SdpError LegSdpState::stampOutgoing(std::string& body) {
  const auto span = findOrigin(body);
  if (span.lineBegin == std::string::npos) return SdpError::MissingOrigin;
  const std::string_view view(body);
  Origin origin;
  if (!parseOriginValue(view.substr(span.lineBegin + 2, span.valueEnd - span.lineBegin - 2),
                        origin)) {
    return SdpError::MalformedOrigin;
  }
  const auto digest =
      fnv(fnv(kFnvOffset, view.substr(0, span.lineBegin)), view.substr(span.lineEnd));
  if (!sent_) {
    sent_ = true;
    username_ = std::string(origin.username);
    sessionId_ = std::string(origin.sessionId);
    version_ = origin.sessionVersion;
    netType_ = std::string(origin.netType);
    addrType_ = std::string(origin.addrType);
    address_ = std::string(origin.address);
  } else if (digest != digest_) {
    ++version_;  // RFC 3264 8: exactly one more than the previous version sent
  }
  digest_ = digest;
  std::string value;
  value.reserve(64);
  value.append(username_).append(" ").append(sessionId_).append(" ");
  value.append(std::to_string(version_)).append(" ").append(netType_).append(" ");
  value.append(addrType_).append(" ").append(address_);
  body.replace(span.lineBegin + 2, span.valueEnd - span.lineBegin - 2, value);
  return SdpError::None;
}

void LegSdpState::observeReceived(const SessionDescription& sdp) {
  for (std::size_t m = 0; m < sdp.media.size(); ++m) {
    if (sdp.media[m].port == 0) continue;
    const Connection* c = sdp.effectiveConnection(m);
    if (!c || c->isZero()) continue;
    receivedAddrType_ = std::string(c->addrType);
    receivedAddress_ = std::string(c->address);
    return;
  }
}

std::string LegSdpState::serialize() const {
  char digest[17];
  const auto r = std::to_chars(digest, digest + sizeof digest, digest_, 16);
  std::string out = "sdp1";
  out.append(" sent=").append(sent_ ? "1" : "0");
  out.append(" user=").append(username_);
  out.append(" sess=").append(sessionId_);
  out.append(" ver=").append(std::to_string(version_));
  out.append(" net=").append(netType_);
  out.append(" at=").append(addrType_);
  out.append(" addr=").append(address_);
  out.append(" digest=").append(digest, r.ptr);
  out.append(" rat=").append(receivedAddrType_);
  out.append(" raddr=").append(receivedAddress_);
  return out;
}

std::optional<LegSdpState> LegSdpState::deserialize(std::string_view text) {
  static constexpr std::string_view kKeys[] = {"sent", "user", "sess",   "ver", "net",
                                               "at",   "addr", "digest", "rat", "raddr"};
  std::string_view fields[std::size(kKeys)];
  if (text.substr(0, 5) != "sdp1 ") return std::nullopt;
  text.remove_prefix(5);
  for (std::size_t i = 0; i < std::size(kKeys); ++i) {
    const auto space = text.find(' ');
    const auto field = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    const auto eq = field.find('=');
    if (eq == std::string_view::npos || field.substr(0, eq) != kKeys[i]) return std::nullopt;
    fields[i] = field.substr(eq + 1);
    if (!validField(fields[i])) return std::nullopt;
    if (i + 1 < std::size(kKeys) && space == std::string_view::npos) return std::nullopt;
  }
  if (!text.empty()) return std::nullopt;
  LegSdpState s;
  if (fields[0] != "0" && fields[0] != "1") return std::nullopt;
  s.sent_ = fields[0] == "1";
  const auto version = parseU64(fields[3]);
  const auto digest = parseHex(fields[7]);
  if (!version || !digest) return std::nullopt;
  if (s.sent_) {
    // A stamped leg has a whole o= line to present (RFC 4566 5.2).
    Origin check;
    std::string value;
    for (std::size_t i : {1, 2, 3, 4, 5, 6}) value.append(fields[i]).append(" ");
    value.pop_back();
    if (!parseOriginValue(value, check)) return std::nullopt;
  }
  s.username_ = std::string(fields[1]);
  s.sessionId_ = std::string(fields[2]);
  s.version_ = *version;
  s.netType_ = std::string(fields[4]);
  s.addrType_ = std::string(fields[5]);
  s.address_ = std::string(fields[6]);
  s.digest_ = *digest;
  s.receivedAddrType_ = std::string(fields[8]);
  s.receivedAddress_ = std::string(fields[9]);
  return s;
}

}  // namespace sipha::sdp
