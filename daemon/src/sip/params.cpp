#include "sip/params.hpp"

#include "sip/text.hpp"

namespace sipha::sip {
namespace {

// End of the current parameter: the next ';' outside a quoted-string.
std::size_t paramEnd(std::string_view s) noexcept {
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ';') {
      return i;
    }
  }
  return s.size();
}

Param split(std::string_view element) noexcept {
  Param p;
  const auto eq = element.find('=');
  if (eq == std::string_view::npos) {
    p.name = text::trim(element);
  } else {
    p.name = text::trim(element.substr(0, eq));
    p.value = text::trim(element.substr(eq + 1));
    p.hasValue = true;
  }
  return p;
}

}  // namespace

void ParamList::Iterator::advance() noexcept {
  for (;;) {
    std::string_view s = rest_;
    while (!s.empty() && (text::isWs(s.front()) || s.front() == ';')) s.remove_prefix(1);
    if (s.empty()) {
      done_ = true;
      rest_ = {};
      return;
    }
    const auto end = paramEnd(s);
    current_ = split(s.substr(0, end));
    rest_ = s.substr(end);
    done_ = false;
    if (!current_.name.empty() || current_.hasValue) return;
  }
}

std::optional<std::string_view> ParamList::find(std::string_view name) const noexcept {
  for (const auto& p : *this) {
    if (text::iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

bool ParamList::empty() const noexcept { return begin() == end(); }

bool ParamList::valid() const noexcept {
  std::string_view s = text_;
  while (!s.empty()) {
    while (!s.empty() && text::isWs(s.front())) s.remove_prefix(1);
    if (s.empty()) break;
    if (s.front() == ';') {
      s.remove_prefix(1);
      continue;
    }
    const auto end = paramEnd(s);
    const Param p = split(s.substr(0, end));
    if (!text::isToken(p.name)) return false;
    if (p.hasValue) {
      if (p.value.empty()) return false;
      if (p.value.front() == '"') {
        if (p.value.size() < 2 || p.value.back() != '"') return false;
      } else {
        for (char c : p.value) {
          if (c == '"' || text::isWs(c) || c == ',' || c == '<' || c == '>' ||
              static_cast<unsigned char>(c) < 0x21) {
            return false;
          }
        }
      }
    }
    s.remove_prefix(end);
  }
  return true;
}

std::string_view unquote(std::string_view value) noexcept {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

}  // namespace sipha::sip
