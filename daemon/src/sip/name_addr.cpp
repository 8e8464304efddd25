#include "sip/name_addr.hpp"

#include "sip/text.hpp"

namespace sipha::sip {

std::optional<std::uint16_t> parseQValue(std::string_view s) noexcept {
  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 3261 25.1)
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return std::nullopt;
  unsigned value = unsigned(s[0] - '0') * 1000;
  if (s.size() > 1) {
    if (s[1] != '.' || s.size() > 5) return std::nullopt;
    unsigned scale = 100;
    for (std::size_t i = 2; i < s.size(); ++i, scale /= 10) {
      if (!text::isDigit(s[i])) return std::nullopt;
      value += unsigned(s[i] - '0') * scale;
    }
  }
  if (value > 1000) return std::nullopt;
  return std::uint16_t(value);
}

std::optional<std::uint16_t> NameAddr::q() const noexcept {
  const auto v = paramList().find("q");
  if (!v) return std::nullopt;
  return parseQValue(*v);
}

std::optional<std::uint32_t> NameAddr::expires() const noexcept {
  const auto v = paramList().find("expires");
  if (!v) return std::nullopt;
  return text::parseUint(*v);
}

bool parseNameAddr(std::string_view value, NameAddr& out) noexcept {
  out = NameAddr{};
  std::string_view s = text::trim(value);
  if (s.empty()) return false;
  if (s == "*") {
    out.star = true;
    return true;
  }
  std::string_view rest;
  if (s.front() == '"' || s.find('<') != std::string_view::npos) {
    // name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
    std::size_t lt = 0;
    if (s.front() == '"') {
      std::size_t i = 1;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\') {
          ++i;
        } else if (s[i] == '"') {
          break;
        }
      }
      if (i >= s.size()) return false;  // unterminated quoted-string
      out.displayName = s.substr(1, i - 1);
      lt = i + 1;
      while (lt < s.size() && text::isWs(s[lt])) ++lt;
      if (lt >= s.size() || s[lt] != '<') return false;
    } else {
      lt = s.find('<');
      out.displayName = text::trim(s.substr(0, lt));
      // display-name = *(token LWS): tokens only when unquoted
      for (char c : out.displayName) {
        if (!text::isTokenChar(c) && !text::isWs(c)) return false;
      }
    }
    const auto gt = s.find('>', lt);
    if (gt == std::string_view::npos) return false;  // unterminated <
    out.angleBrackets = true;
    out.uri = text::trim(s.substr(lt + 1, gt - lt - 1));
    rest = text::trim(s.substr(gt + 1));
  } else {
    // addr-spec: parameters after the first ';' belong to the header (RFC 3261 20.10)
    const auto semi = s.find(';');
    out.uri = text::trim(s.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : s.substr(semi);
    for (char c : out.uri) {
      if (text::isWs(c)) return false;
    }
  }
  if (!rest.empty()) {
    if (rest.front() != ';') return false;
    out.params = rest.substr(1);
    const ParamList params(out.params);
    if (!params.valid()) return false;
    if (const auto tag = params.find("tag")) out.tag = *tag;
  }
  Uri uri;
  return parseUri(out.uri, uri);
}

}  // namespace sipha::sip
