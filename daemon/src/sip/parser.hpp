#pragma once
// The SIP message parser (RFC 3261 7, 18.3, 20, 25). Stream framing (where a message ends on
// TCP/TLS) is transport's job: transport/stream_framer.hpp.
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

}  // namespace sipha::sip
