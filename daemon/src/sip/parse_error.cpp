#include "sip/parse_error.hpp"

namespace sipha::sip {

std::string_view reasonPhrase(ParseError error) noexcept {
  switch (error) {
    case ParseError::None:
      return "OK";
    case ParseError::Empty:
      return "Bad Request - Empty Message";
    case ParseError::MessageTooLarge:
      return "Message Too Large";
    case ParseError::MalformedStartLine:
      return "Bad Request - Malformed Start Line";
    case ParseError::VersionNotSupported:
      return "Version Not Supported";
    case ParseError::MalformedRequestUri:
      return "Bad Request - Malformed Request-URI";
    case ParseError::MalformedHeader:
      return "Bad Request - Malformed Header";
    case ParseError::TooManyHeaders:
      return "Bad Request - Too Many Headers";
    case ParseError::MissingHeaderEnd:
      return "Bad Request - Missing End of Headers";
    case ParseError::MissingVia:
      return "Bad Request - Missing Via";
    case ParseError::MalformedVia:
      return "Bad Request - Malformed Via";
    case ParseError::MissingFrom:
      return "Bad Request - Missing From";
    case ParseError::MalformedFrom:
      return "Bad Request - Malformed From";
    case ParseError::MultipleFrom:
      return "Bad Request - Multiple From";
    case ParseError::MissingTo:
      return "Bad Request - Missing To";
    case ParseError::MalformedTo:
      return "Bad Request - Malformed To";
    case ParseError::MultipleTo:
      return "Bad Request - Multiple To";
    case ParseError::MissingCallId:
      return "Bad Request - Missing Call-ID";
    case ParseError::MultipleCallId:
      return "Bad Request - Multiple Call-ID";
    case ParseError::MissingCSeq:
      return "Bad Request - Missing CSeq";
    case ParseError::MalformedCSeq:
      return "Bad Request - Malformed CSeq";
    case ParseError::MultipleCSeq:
      return "Bad Request - Multiple CSeq";
    case ParseError::CSeqMethodMismatch:
      return "Bad Request - CSeq Method Mismatch";
    case ParseError::MalformedMaxForwards:
      return "Bad Request - Malformed Max-Forwards";
    case ParseError::MalformedContentLength:
      return "Bad Request - Malformed Content-Length";
    case ParseError::ContentLengthMismatch:
      return "Bad Request - Content-Length Mismatch";
    case ParseError::MissingContentLength:
      return "Bad Request - Missing Content-Length";
  }
  return "Bad Request";
}

std::uint16_t statusCode(ParseError error) noexcept {
  switch (error) {
    case ParseError::None:
      return 200;
    case ParseError::VersionNotSupported:
      return 505;
    case ParseError::MessageTooLarge:
      return 513;
    default:
      return 400;
  }
}

std::string_view errorName(ParseError error) noexcept {
  switch (error) {
    case ParseError::None:
      return "none";
    case ParseError::Empty:
      return "empty";
    case ParseError::MessageTooLarge:
      return "message-too-large";
    case ParseError::MalformedStartLine:
      return "malformed-start-line";
    case ParseError::VersionNotSupported:
      return "version-not-supported";
    case ParseError::MalformedRequestUri:
      return "malformed-request-uri";
    case ParseError::MalformedHeader:
      return "malformed-header";
    case ParseError::TooManyHeaders:
      return "too-many-headers";
    case ParseError::MissingHeaderEnd:
      return "missing-header-end";
    case ParseError::MissingVia:
      return "missing-via";
    case ParseError::MalformedVia:
      return "malformed-via";
    case ParseError::MissingFrom:
      return "missing-from";
    case ParseError::MalformedFrom:
      return "malformed-from";
    case ParseError::MultipleFrom:
      return "multiple-from";
    case ParseError::MissingTo:
      return "missing-to";
    case ParseError::MalformedTo:
      return "malformed-to";
    case ParseError::MultipleTo:
      return "multiple-to";
    case ParseError::MissingCallId:
      return "missing-call-id";
    case ParseError::MultipleCallId:
      return "multiple-call-id";
    case ParseError::MissingCSeq:
      return "missing-cseq";
    case ParseError::MalformedCSeq:
      return "malformed-cseq";
    case ParseError::MultipleCSeq:
      return "multiple-cseq";
    case ParseError::CSeqMethodMismatch:
      return "cseq-method-mismatch";
    case ParseError::MalformedMaxForwards:
      return "malformed-max-forwards";
    case ParseError::MalformedContentLength:
      return "malformed-content-length";
    case ParseError::ContentLengthMismatch:
      return "content-length-mismatch";
    case ParseError::MissingContentLength:
      return "missing-content-length";
  }
  return "unknown";
}

}  // namespace sipha::sip
