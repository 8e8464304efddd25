#include "sdp/parser.hpp"

#include <algorithm>
#include <utility>

#include "sip/text.hpp"

namespace sipha::sdp {
namespace {

constexpr std::size_t kMaskWidth = 32;

// Splits off the next space-separated field (RFC 4566 uses exactly one SP; runs are tolerated).
std::string_view nextField(std::string_view& rest) noexcept {
  std::size_t b = 0;
  while (b < rest.size() && rest[b] == ' ') ++b;
  std::size_t e = b;
  while (e < rest.size() && rest[e] != ' ') ++e;
  const auto field = rest.substr(b, e - b);
  rest.remove_prefix(e);
  return field;
}

bool onlySpaces(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' '; });
}

bool isNumber(std::string_view s) noexcept {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return sip::text::isDigit(c); });
}

bool parseOriginFields(std::string_view value, Origin& out) noexcept {
  auto rest = value;
  out.username = nextField(rest);
  out.sessionId = nextField(rest);
  const auto version = nextField(rest);
  out.netType = nextField(rest);
  out.addrType = nextField(rest);
  out.address = nextField(rest);
  if (out.address.empty() || !onlySpaces(rest) || !isNumber(out.sessionId) || !isNumber(version)) {
    return false;
  }
  std::uint64_t v = 0;
  for (char c : version) {
    const auto digit = std::uint64_t(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  out.sessionVersion = v;
  return true;
}

bool parseConnection(std::string_view value, std::size_t line, Connection& out) noexcept {
  auto rest = value;
  out.netType = nextField(rest);
  out.addrType = nextField(rest);
  auto address = nextField(rest);
  if (address.empty() || !onlySpaces(rest)) return false;
  const auto slash = address.find('/');
  if (slash != std::string_view::npos) address = address.substr(0, slash);
  if (address.empty()) return false;
  out.address = address;
  out.line = line;
  return true;
}

bool parseMedia(std::string_view value, MediaSection& out) noexcept {
  auto rest = value;
  out.media = nextField(rest);
  auto port = nextField(rest);
  out.proto = nextField(rest);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  out.formats = rest;
  if (out.media.empty() || out.proto.empty() || out.formats.empty()) return false;
  const auto slash = port.find('/');
  if (slash != std::string_view::npos) {
    if (!sip::text::parseUint(port.substr(slash + 1), 65535)) return false;
    port = port.substr(0, slash);
  }
  const auto number = sip::text::parseUint(port, 65535);
  if (!number) return false;
  out.port = std::uint16_t(*number);
  return true;
}

// "a=sendonly" and friends; other attributes are not looked at.
SdpError noteDirection(std::string_view value, std::size_t line, std::optional<Direction>& dir,
                       std::size_t& dirLine) noexcept {
  const auto parsed = directionFromName(value);
  if (!parsed) return SdpError::None;
  if (dir && *dir != *parsed) return SdpError::ConflictingDirection;
  dir = parsed;
  dirLine = line;
  return SdpError::None;
}

class Parser {
 public:
  Parser(std::string_view body, const SdpLimits& limits) : body_(body), limits_(limits) {}

  SdpParseResult run() {
    SdpParseResult r;
    if (body_.empty()) return fail(r, SdpError::Empty, kNoLine);
    if (body_.size() > limits_.maxBytes) return fail(r, SdpError::TooLarge, kNoLine);
    if (auto e = splitLines(r.sdp); e != SdpError::None) return fail(r, e, r.sdp.lines.size());
    auto& sdp = r.sdp;
    if (sdp.lines.empty() || sdp.lines[0].type != 'v') {
      return fail(r, SdpError::MissingVersion, 0);
    }
    if (sdp.lines[0].value != "0") return fail(r, SdpError::UnsupportedVersion, 0);
    bool sessionName = false;
    const std::size_t maxMedia = std::min(limits_.maxMedia, kMaskWidth);
    for (std::size_t i = 1; i < sdp.lines.size(); ++i) {
      const auto& line = sdp.lines[i];
      MediaSection* m = sdp.media.empty() ? nullptr : &sdp.media.back();
      switch (line.type) {
        case 'o':
          if (m || sdp.origin.line != kNoLine) return fail(r, SdpError::MalformedOrigin, i);
          if (!parseOriginFields(line.value, sdp.origin))
            return fail(r, SdpError::MalformedOrigin, i);
          sdp.origin.line = i;
          break;
        case 's':
          if (!m) sessionName = true;
          break;
        case 'c': {
          Connection c;
          if (!parseConnection(line.value, i, c)) return fail(r, SdpError::MalformedConnection, i);
          // Several c= lines (multicast layers) may follow one another: the first one counts.
          auto& slot = m ? m->connection : sdp.connection;
          if (!slot) slot = c;
          break;
        }
        case 'm': {
          if (sdp.origin.line == kNoLine) return fail(r, SdpError::MissingOrigin, i);
          if (!sessionName) return fail(r, SdpError::MissingSessionName, i);
          if (sdp.media.size() >= maxMedia) return fail(r, SdpError::TooManyMedia, i);
          if (m) m->endLine = i;
          MediaSection section;
          if (!parseMedia(line.value, section)) return fail(r, SdpError::MalformedMedia, i);
          section.firstLine = i;
          sdp.media.push_back(section);
          break;
        }
        case 'a': {
          const auto e = m ? noteDirection(line.value, i, m->direction, m->directionLine)
                           : noteDirection(line.value, i, sdp.direction, sdp.directionLine);
          if (e != SdpError::None) return fail(r, e, i);
          break;
        }
        default:
          break;  // kept verbatim by the rewriter
      }
    }
    if (sdp.origin.line == kNoLine) return fail(r, SdpError::MissingOrigin, kNoLine);
    if (!sessionName) return fail(r, SdpError::MissingSessionName, kNoLine);
    if (!sdp.media.empty()) sdp.media.back().endLine = sdp.lines.size();
    for (const auto& m : sdp.media) {
      if (m.port != 0 && !m.connection && !sdp.connection) {
        return fail(r, SdpError::MissingConnection, m.firstLine);
      }
    }
    return r;
  }

 private:
  static SdpParseResult&& fail(SdpParseResult& r, SdpError e, std::size_t line) {
    r.error = e;
    r.errorLine = line;
    return std::move(r);
  }

  SdpError splitLines(SessionDescription& sdp) {
    sdp.lines.reserve(std::min<std::size_t>(limits_.maxLines, 32));
    std::string_view rest = body_;
    bool first = true;
    while (!rest.empty()) {
      const auto nl = rest.find('\n');
      auto text = rest.substr(0, nl);
      const bool cr = !text.empty() && text.back() == '\r';
      if (cr) text.remove_suffix(1);
      if (first) {
        sdp.lineEnding = cr ? "\r\n" : "\n";
        first = false;
      }
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      if (text.empty()) {
        // Blank lines are tolerated only at the end of the body.
        if (onlyLineEndings(rest)) break;
        return SdpError::MalformedLine;
      }
      if (sdp.lines.size() >= limits_.maxLines) return SdpError::TooManyLines;
      if (text.size() < 2 || text[1] != '=' || text[0] < 'a' || text[0] > 'z') {
        return SdpError::MalformedLine;
      }
      for (char c : text) {
        if (c == '\0' || c == '\r') return SdpError::MalformedLine;
      }
      sdp.lines.push_back(Line{text[0], text.substr(2)});
    }
    return SdpError::None;
  }

  static bool onlyLineEndings(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; });
  }

  std::string_view body_;
  const SdpLimits& limits_;
};

}  // namespace

bool parseOriginValue(std::string_view value, Origin& out) noexcept {
  return parseOriginFields(value, out);
}

SdpParseResult parseSdp(std::string_view body, const SdpLimits& limits) {
  return Parser(body, limits).run();
}

}  // namespace sipha::sdp
