#pragma once
// Message boundaries on a byte stream (TCP, TLS): RFC 3261 section 18.3 — headers end at the
// first CRLFCRLF, the body is Content-Length bytes (compact form "l"), which is mandatory on
// streams. RFC 5626 section 4.4.1 keep-alives: CRLFCRLF between messages is a ping (answer CRLF),
// a lone CRLF is skipped. Pure: no I/O, no allocation; the caller owns the buffer.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sipha::transport {

enum class FrameKind : std::uint8_t {
  NeedMore,  // not enough bytes yet: read more and call again with the grown buffer
  Message,   // buffer[0, length) is one SIP message
  Ping,      // buffer[0, length) is a CRLFCRLF keep-alive ping: answer "\r\n"
  Skip,      // buffer[0, length) is stray CRLF: drop it
  Error,     // framing is broken: close the stream
};

enum class FrameError : std::uint8_t { None, MissingContentLength, BadContentLength, TooLarge };

struct Frame {
  FrameKind kind = FrameKind::NeedMore;
  std::size_t length = 0;
  FrameError error = FrameError::None;
};

// Result of scanning a header block for Content-Length.
struct ContentLength {
  FrameError error = FrameError::None;
  bool present = false;
  std::size_t value = 0;
};

// Finds Content-Length / l (case-insensitive, header folding allowed) in `headers` (the start
// line and header lines, without the final empty line). Values above `limit` give TooLarge.
ContentLength findContentLength(std::string_view headers, std::size_t limit) noexcept;

class StreamFramer {
 public:
  explicit StreamFramer(std::size_t maxMessageSize) noexcept : max_(maxMessageSize) {}

  // `buffer` holds the unconsumed bytes and starts at the same place as on the previous call
  // until a non-NeedMore frame was returned (the caller then drops `length` bytes).
  Frame next(std::string_view buffer) noexcept;

  void setMaxMessageSize(std::size_t maxMessageSize) noexcept { max_ = maxMessageSize; }
  std::size_t maxMessageSize() const noexcept { return max_; }

 private:
  Frame done(FrameKind kind, std::size_t length) noexcept;
  Frame fail(FrameError error) noexcept;

  std::size_t max_;
  std::size_t searchFrom_ = 0;     // where the CRLFCRLF search resumes
  std::size_t pendingLength_ = 0;  // whole message length once the headers are parsed
};

}  // namespace sipha::transport
