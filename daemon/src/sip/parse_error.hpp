#pragma once
// Why a message was refused, and what the stateless answer says (RFC 3261 8.2.2, 21.4.1, 21.5.6).
#include <cstdint>
#include <string_view>

namespace sipha::sip {

enum class ParseError : std::uint8_t {
  None,
  Empty,
  MessageTooLarge,
  MalformedStartLine,
  VersionNotSupported,
  MalformedRequestUri,
  MalformedHeader,
  TooManyHeaders,
  MissingHeaderEnd,
  MissingVia,
  MalformedVia,
  MissingFrom,
  MalformedFrom,
  MultipleFrom,
  MissingTo,
  MalformedTo,
  MultipleTo,
  MissingCallId,
  MultipleCallId,
  MissingCSeq,
  MalformedCSeq,
  MultipleCSeq,
  CSeqMethodMismatch,
  MalformedMaxForwards,
  MalformedContentLength,
  ContentLengthMismatch,
  MissingContentLength,
};

// The reason phrase of the stateless response, e.g. "Bad Request - Missing Call-ID".
std::string_view reasonPhrase(ParseError error) noexcept;

// 400 for most errors, 505 for an unsupported SIP version, 513 for an oversized message.
std::uint16_t statusCode(ParseError error) noexcept;

// Short identifier for logs and counters ("missing-call-id").
std::string_view errorName(ParseError error) noexcept;

}  // namespace sipha::sip
