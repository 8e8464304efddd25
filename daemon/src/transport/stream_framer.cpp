#include "transport/stream_framer.hpp"

namespace sipha::transport {

namespace {

constexpr std::string_view kHeaderEnd = "\r\n\r\n";

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool equalsNoCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool isSpace(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

// One header value: digits only (after folding and trimming).
ContentLength parseValue(std::string_view value, std::size_t limit) noexcept {
  value = trim(value);
  ContentLength result;
  result.present = true;
  if (value.empty() || value.size() > 19) {
    result.error = value.empty() ? FrameError::BadContentLength : FrameError::TooLarge;
    for (char c : value) {
      if (c < '0' || c > '9') result.error = FrameError::BadContentLength;
    }
    return result;
  }
  std::size_t number = 0;
  for (char c : value) {
    if (c < '0' || c > '9') {
      result.error = FrameError::BadContentLength;
      return result;
    }
    number = number * 10 + static_cast<std::size_t>(c - '0');
  }
  if (number > limit) result.error = FrameError::TooLarge;
  result.value = number;
  return result;
}

}  // namespace

ContentLength findContentLength(std::string_view headers, std::size_t limit) noexcept {
  ContentLength found;
  // Skip the start line.
  std::size_t pos = headers.find('\n');
  if (pos == std::string_view::npos) return found;
  ++pos;
  while (pos < headers.size()) {
    std::size_t end = headers.find('\n', pos);
    if (end == std::string_view::npos) end = headers.size();
    // RFC 3261 section 7.3.1: a line starting with SP/HT continues the previous header.
    while (end + 1 < headers.size() && (headers[end + 1] == ' ' || headers[end + 1] == '\t')) {
      std::size_t next = headers.find('\n', end + 1);
      end = next == std::string_view::npos ? headers.size() : next;
    }
    std::string_view line = headers.substr(pos, end - pos);
    pos = end + 1;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon));
    if (!equalsNoCase(name, "content-length") && !equalsNoCase(name, "l")) continue;
    ContentLength value = parseValue(line.substr(colon + 1), limit);
    if (value.error != FrameError::None) return value;
    if (found.present && found.value != value.value) {
      found.error = FrameError::BadContentLength;
      return found;
    }
    found = value;
  }
  return found;
}

Frame StreamFramer::done(FrameKind kind, std::size_t length) noexcept {
  searchFrom_ = 0;
  pendingLength_ = 0;
  return Frame{kind, length, FrameError::None};
}

Frame StreamFramer::fail(FrameError error) noexcept {
  searchFrom_ = 0;
  pendingLength_ = 0;
  return Frame{FrameKind::Error, 0, error};
}

Frame StreamFramer::next(std::string_view buffer) noexcept {
  if (buffer.empty()) return Frame{};
  if (pendingLength_ != 0) {
    return buffer.size() >= pendingLength_ ? done(FrameKind::Message, pendingLength_) : Frame{};
  }
  // RFC 5626 section 4.4.1: CRLFCRLF ping; RFC 3261 section 7.5: stray CRLF before a message.
  if (buffer.front() == '\r' || buffer.front() == '\n') {
    if (buffer.starts_with(kHeaderEnd)) return done(FrameKind::Ping, kHeaderEnd.size());
    if (buffer.front() == '\n') return done(FrameKind::Skip, 1);
    if (buffer.size() < 2) return Frame{};
    if (buffer[1] != '\n') return done(FrameKind::Skip, 1);
    // "\r\n" so far: it may become a ping.
    if (buffer.size() == 2 || (buffer.size() == 3 && buffer[2] == '\r')) return Frame{};
    return done(FrameKind::Skip, 2);
  }
  std::size_t end = buffer.find(kHeaderEnd, searchFrom_);
  if (end == std::string_view::npos) {
    if (buffer.size() > max_) return fail(FrameError::TooLarge);
    searchFrom_ = buffer.size() >= 3 ? buffer.size() - 3 : 0;
    return Frame{};
  }
  const std::size_t headerLength = end + kHeaderEnd.size();
  if (headerLength > max_) return fail(FrameError::TooLarge);
  ContentLength length = findContentLength(buffer.substr(0, end), max_);
  if (length.error != FrameError::None) return fail(length.error);
  if (!length.present) return fail(FrameError::MissingContentLength);
  const std::size_t total = headerLength + length.value;
  if (total > max_) return fail(FrameError::TooLarge);
  if (buffer.size() >= total) return done(FrameKind::Message, total);
  pendingLength_ = total;
  searchFrom_ = 0;
  return Frame{};
}

}  // namespace sipha::transport
