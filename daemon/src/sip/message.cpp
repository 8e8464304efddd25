#include "sip/message.hpp"

#include "sip/text.hpp"

namespace sipha::sip {

std::optional<std::string_view> CommaSplitter::next() noexcept {
  while (!done_) {
    const auto comma = text::findUnquoted(rest_, ',');
    std::string_view element;
    if (comma == std::string_view::npos) {
      element = rest_;
      rest_ = {};
      done_ = true;
    } else {
      element = rest_.substr(0, comma);
      rest_.remove_prefix(comma + 1);
    }
    element = text::trim(element);
    if (!element.empty()) return element;
  }
  return std::nullopt;
}

HeaderValues::Iterator::Iterator(const HeaderField* current, const HeaderField* end,
                                 HeaderId id) noexcept
    : current_(current), end_(end), id_(id) {
  seekField();
}

// Moves to the first value of the next field with id_ at or after current_.
void HeaderValues::Iterator::seekField() noexcept {
  for (; current_ != end_; ++current_) {
    if (current_->id != id_) continue;
    splitter_ = CommaSplitter(current_->value);
    if (const auto v = splitter_.next()) {
      value_ = *v;
      return;
    }
  }
  value_ = {};
}

void HeaderValues::Iterator::advance() noexcept {
  if (current_ == end_) return;
  if (const auto v = splitter_.next()) {
    value_ = *v;
    return;
  }
  ++current_;
  seekField();
}

std::string_view Message::header(HeaderId id) const noexcept {
  for (const auto& h : headers_) {
    if (h.id == id) return h.value;
  }
  return {};
}

std::string_view Message::header(std::string_view name) const noexcept {
  const HeaderId id = headerIdFromName(name);
  if (id != HeaderId::Unknown) return header(id);
  for (const auto& h : headers_) {
    if (h.id == HeaderId::Unknown && text::iequals(h.name, name)) return h.value;
  }
  return {};
}

bool Message::has(HeaderId id) const noexcept {
  for (const auto& h : headers_) {
    if (h.id == id) return true;
  }
  return false;
}

std::optional<std::uint32_t> Message::expires() const noexcept {
  if (!has(HeaderId::Expires)) return std::nullopt;
  return text::parseUint(header(HeaderId::Expires));
}

std::optional<std::uint32_t> Message::minExpires() const noexcept {
  if (!has(HeaderId::MinExpires)) return std::nullopt;
  return text::parseUint(header(HeaderId::MinExpires));
}

}  // namespace sipha::sip
