// libFuzzer entry: transport's StreamFramer (RFC 3261 18.3 Content-Length framing, RFC 5626 4.4.1
// keep-alives) fed arbitrary bytes in arbitrary chunk sizes, as a TCP/TLS connection would be,
// then every framed message parsed with stream framing (RFC 3261 18.3) as SipCore does.
// Invariants: frame lengths never exceed the buffer or the size limit, keep-alive frames cover
// only CR/LF, the buffered bytes never exceed the limit while waiting for more, and the frames
// do not depend on where the reads were split. Parsing a framed message ends in Ok or an error.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/parser.hpp"
#include "transport/stream_framer.hpp"

namespace {

using sipha::transport::Frame;
using sipha::transport::FrameError;
using sipha::transport::FrameKind;
using sipha::transport::StreamFramer;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool onlyLineBreaks(std::string_view bytes) {
  return bytes.find_first_not_of("\r\n") == std::string_view::npos;
}

// One connection: the caller's buffer and what came out of it.
class Connection {
 public:
  explicit Connection(std::size_t maxMessageSize) : framer_(maxMessageSize), max_(maxMessageSize) {}

  // Appends a read and frames everything it can (StreamConnection::deliverFrames).
  void receive(std::string_view chunk) {
    if (closed_) return;
    buffer_.append(chunk);
    while (!buffer_.empty()) {
      const Frame frame = framer_.next(buffer_);
      frames_.push_back(frame);
      if (frame.kind == FrameKind::NeedMore) {
        frames_.pop_back();  // how many of these depends on the split, the rest must not
        check(frame.length == 0 && frame.error == FrameError::None);
        // A peer cannot make us hold more than one message's worth of bytes.
        check(buffer_.size() <= max_);
        return;
      }
      if (frame.kind == FrameKind::Error) {
        check(frame.length == 0 && frame.error != FrameError::None);
        closed_ = true;
        return;
      }
      check(frame.error == FrameError::None);
      check(frame.length > 0 && frame.length <= buffer_.size() && frame.length <= max_);
      const std::string_view bytes = std::string_view(buffer_).substr(0, frame.length);
      switch (frame.kind) {
        case FrameKind::Ping:
          check(bytes == "\r\n\r\n");
          break;
        case FrameKind::Skip:
          check(frame.length <= 2 && onlyLineBreaks(bytes));
          break;
        case FrameKind::Message:
          check(bytes.front() != '\r' && bytes.front() != '\n');
          parse(bytes);
          break;
        default:
          check(false);
      }
      buffer_.erase(0, frame.length);
    }
  }

  const std::vector<Frame>& frames() const { return frames_; }
  std::size_t buffered() const { return buffer_.size(); }
  bool closed() const { return closed_; }

 private:
  void parse(std::string_view bytes) {
    sipha::sip::ParserLimits limits;
    limits.maxMessageBytes = max_;
    const auto result =
        sipha::sip::parseMessage(std::string(bytes), limits, sipha::sip::Framing::Stream);
    if (result.ok()) {
      check(result.message != nullptr);
      // Stream framing: Content-Length is mandatory and matches the body exactly.
      check(result.message->contentLength().has_value());
      check(result.message->body().size() == *result.message->contentLength());
    } else {
      check(!result.reason().empty());
    }
  }

  StreamFramer framer_;
  std::size_t max_;
  std::string buffer_;
  std::vector<Frame> frames_;
  bool closed_ = false;
};

bool sameFrames(const std::vector<Frame>& a, const std::vector<Frame>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].length != b[i].length || a[i].error != b[i].error) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  // Mostly the default limit; sometimes a small one so TooLarge paths are reached.
  const std::size_t maxMessageSize =
      provider.ConsumeBool() ? 65535 : provider.ConsumeIntegralInRange<std::size_t>(16, 2048);
  // Read sizes come from the tail of the input, the stream bytes from its front.
  std::vector<std::string> chunks;
  std::string all;
  while (provider.remaining_bytes() > 0) {
    const int bits = provider.ConsumeIntegralInRange<int>(0, 12);
    const auto length = provider.ConsumeIntegralInRange<std::size_t>(1, std::size_t{1} << bits);
    chunks.push_back(provider.ConsumeBytesAsString(length));
    all += chunks.back();
  }
  Connection split(maxMessageSize);
  for (const std::string& chunk : chunks) split.receive(chunk);
  Connection whole(maxMessageSize);
  whole.receive(all);
  check(sameFrames(split.frames(), whole.frames()));
  check(split.closed() == whole.closed());
  check(split.closed() || split.buffered() == whole.buffered());
  return 0;
}
