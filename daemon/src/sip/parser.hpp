#pragma once
// The SIP message parser (RFC 3261 7, 18.3, 20, 25) and stream framing (RFC 3261 18.3).
// No exceptions; any byte sequence yields a result. One pass over the header section.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sip/message.hpp"
#include "sip/parse_error.hpp"

namespace sipha::sip {

// Datagram: bytes beyond Content-Length are discarded and a missing Content-Length means "the
// rest is the body" (RFC 3261 18.3). Stream: Content-Length is mandatory and must match exactly.
enum class Framing : std::uint8_t { Datagram, Stream };

struct ParserLimits {
  std::size_t maxMessageBytes = 65535;
  std::size_t maxHeaders = 128;  // header fields; also bounds the number of Via values
};

struct ParseResult {
  // Set whenever the start line could be read, also on errors (so a 400 can be built). Use the
  // message as a whole only when ok().
  std::unique_ptr<Message> message;
  ParseError error = ParseError::None;
  // A request whose Via, From, To, Call-ID and CSeq were read: a stateless error response can be
  // built (message_builder.hpp buildErrorResponse). False for responses and dropped input.
  bool canRespond = false;

  bool ok() const noexcept { return error == ParseError::None; }
  std::string_view reason() const noexcept { return reasonPhrase(error); }
};

// Takes ownership of `bytes` (moved, not copied). Never throws except std::bad_alloc.
ParseResult parseMessage(std::string&& bytes, const ParserLimits& limits = {},
                         Framing framing = Framing::Datagram);

// Finds where the next message ends in a stream buffer (RFC 3261 18.3).
struct FrameResult {
  enum class Status : std::uint8_t {
    Complete,    // `size` bytes from the front form one message (leading CRLFs included)
    Incomplete,  // need more bytes
    KeepAlive,   // `size` bytes of CRLF keep-alives (RFC 5626 3.5.1) to discard
    Invalid,     // no usable Content-Length or over the size limit: close the connection
  };
  Status status = Status::Incomplete;
  std::size_t size = 0;
};
FrameResult frameStreamMessage(std::string_view buffered, const ParserLimits& limits = {}) noexcept;

}  // namespace sipha::sip
