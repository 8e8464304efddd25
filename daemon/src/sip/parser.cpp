#include "sip/parser.hpp"

#include <cstring>

#include "sip/text.hpp"

namespace sipha::sip {

// Fills a Message in one pass. Records the first error and keeps reading so that the fields a
// stateless 400 needs (RFC 3261 8.2.6) are known even for a broken request.
class MessageParser {
 public:
  MessageParser(Message& message, const ParserLimits& limits) noexcept
      : m_(message), limits_(limits) {}

  ParseResult run(std::unique_ptr<Message> owned, Framing framing) noexcept;
  static std::unique_ptr<Message> create(std::string&& bytes) {
    return std::unique_ptr<Message>(new Message(std::move(bytes)));
  }

 private:
  bool parseStartLine(std::string_view line) noexcept;
  bool parseRequestLine(std::string_view line) noexcept;
  bool parseStatusLine(std::string_view line) noexcept;
  void parseHeaders(char* buf, std::size_t size, std::size_t& pos) noexcept;
  void onHeader(std::string_view line) noexcept;
  void onVia(std::string_view value) noexcept;
  void onNameAddr(std::string_view value, NameAddr& out, std::string_view& text, bool& seen,
                  bool& ok, ParseError malformed, ParseError multiple) noexcept;
  void onCSeq(std::string_view value) noexcept;
  void onContentLength(std::string_view value) noexcept;
  void checkMandatory() noexcept;
  void setBody(std::size_t pos, Framing framing) noexcept;
  void fail(ParseError error) noexcept {
    if (error_ == ParseError::None) error_ = error;
  }

  Message& m_;
  const ParserLimits& limits_;
  ParseError error_ = ParseError::None;
  bool sawHeaderEnd_ = false;
  bool viaOk_ = false;
  bool fromSeen_ = false;
  bool fromOk_ = false;
  bool toSeen_ = false;
  bool toOk_ = false;
  bool callIdSeen_ = false;
  bool cseqSeen_ = false;
  bool cseqOk_ = false;
};

namespace {

std::string_view trimRight(std::string_view s) noexcept {
  while (!s.empty() && text::isWs(s.back())) s.remove_suffix(1);
  return s;
}

bool hasWhitespace(std::string_view s) noexcept {
  for (char c : s) {
    if (text::isWs(c) || c == '\r' || c == '\n') return true;
  }
  return false;
}

}  // namespace

// Request-Line = Method SP Request-URI SP SIP-Version CRLF (RFC 3261 7.1)
bool MessageParser::parseRequestLine(std::string_view line) noexcept {
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) return false;
  m_.methodText_ = line.substr(0, sp1);
  m_.version_ = line.substr(sp2 + 1);
  if (!text::isToken(m_.methodText_)) return false;
  if (!text::istartsWith(m_.version_, "SIP/") || m_.version_.size() < 5) return false;
  m_.isRequest_ = true;
  m_.method_ = methodFromName(m_.methodText_);
  m_.requestUriText_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!text::iequals(m_.version_, "SIP/2.0")) fail(ParseError::VersionNotSupported);
  if (m_.requestUriText_.empty() || hasWhitespace(m_.requestUriText_) ||
      !parseUri(m_.requestUriText_, m_.requestUri_)) {
    fail(ParseError::MalformedRequestUri);
  }
  return true;
}

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF (RFC 3261 7.2)
bool MessageParser::parseStatusLine(std::string_view line) noexcept {
  const auto sp = line.find(' ');
  if (sp == std::string_view::npos) return false;
  m_.version_ = line.substr(0, sp);
  if (!text::iequals(m_.version_, "SIP/2.0")) return false;
  const auto rest = line.substr(sp + 1);
  if (rest.size() < 3 || (rest.size() > 3 && rest[3] != ' ')) return false;
  const auto code = text::parseUint(rest.substr(0, 3));
  if (!code || *code < 100 || *code > 699) return false;
  m_.statusCode_ = std::uint16_t(*code);
  m_.reason_ = rest.size() > 4 ? rest.substr(4) : std::string_view{};
  m_.isRequest_ = false;
  return true;
}

bool MessageParser::parseStartLine(std::string_view line) noexcept {
  if (text::istartsWith(line, "SIP/")) return parseStatusLine(line);
  return parseRequestLine(line);
}

void MessageParser::parseHeaders(char* buf, std::size_t size, std::size_t& pos) noexcept {
  while (pos < size) {
    // The empty line ending the header section (a bare LF is tolerated).
    if (buf[pos] == '\n') {
      ++pos;
      sawHeaderEnd_ = true;
      return;
    }
    if (buf[pos] == '\r' && pos + 1 < size && buf[pos + 1] == '\n') {
      pos += 2;
      sawHeaderEnd_ = true;
      return;
    }
    const std::size_t start = pos;
    std::size_t scan = pos;
    std::size_t lineEnd = size;
    std::size_t next = size;
    for (;;) {
      const void* found = std::memchr(buf + scan, '\n', size - scan);
      if (found == nullptr) break;
      const auto nl = std::size_t(static_cast<const char*>(found) - buf);
      if (nl + 1 < size && text::isWs(buf[nl + 1])) {
        // Folded line (RFC 3261 7.3.1): the CRLF becomes white space, the value stays one view.
        buf[nl] = ' ';
        if (nl > start && buf[nl - 1] == '\r') buf[nl - 1] = ' ';
        scan = nl + 1;
        continue;
      }
      lineEnd = (nl > start && buf[nl - 1] == '\r') ? nl - 1 : nl;
      next = nl + 1;
      break;
    }
    pos = next;
    onHeader(std::string_view(buf + start, lineEnd - start));
  }
}

void MessageParser::onHeader(std::string_view line) noexcept {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    fail(ParseError::MalformedHeader);
    return;
  }
  // header-name HCOLON, HCOLON = *( SP / HTAB ) ":" SWS (RFC 3261 25.1)
  const auto name = trimRight(line.substr(0, colon));
  if (!text::isToken(name)) {
    fail(ParseError::MalformedHeader);
    return;
  }
  const auto value = text::trim(line.substr(colon + 1));
  const HeaderId id = headerIdFromName(name);
  if (m_.headers_.size() >= limits_.maxHeaders) {
    // Keep reading the mandatory headers so a 400 can still be formed.
    fail(ParseError::TooManyHeaders);
  } else {
    m_.headers_.push_back(HeaderField{name, value, id});
  }
  switch (id) {
    case HeaderId::Via:
      onVia(value);
      break;
    case HeaderId::From:
      onNameAddr(value, m_.from_, m_.fromText_, fromSeen_, fromOk_, ParseError::MalformedFrom,
                 ParseError::MultipleFrom);
      break;
    case HeaderId::To:
      onNameAddr(value, m_.to_, m_.toText_, toSeen_, toOk_, ParseError::MalformedTo,
                 ParseError::MultipleTo);
      break;
    case HeaderId::CallId:
      if (callIdSeen_) {
        fail(ParseError::MultipleCallId);
      } else {
        callIdSeen_ = true;
        m_.callId_ = value;
        if (value.empty()) fail(ParseError::MissingCallId);
      }
      break;
    case HeaderId::CSeq:
      onCSeq(value);
      break;
    case HeaderId::MaxForwards:
      if (!m_.maxForwards_) {
        // Max-Forwards = 1*DIGIT, 0-255 in practice (RFC 3261 20.22)
        m_.maxForwards_ = text::parseUint(value, 255);
        if (!m_.maxForwards_) fail(ParseError::MalformedMaxForwards);
      }
      break;
    case HeaderId::ContentLength:
      onContentLength(value);
      break;
    default:
      break;
  }
}

void MessageParser::onVia(std::string_view value) noexcept {
  CommaSplitter split(value);
  bool any = false;
  while (const auto v = split.next()) {
    any = true;
    if (m_.vias_.size() >= limits_.maxHeaders) {
      fail(ParseError::TooManyHeaders);
      return;
    }
    if (m_.vias_.empty()) {
      if (m_.vias_.capacity() == 0) m_.vias_.reserve(8);
      viaOk_ = parseVia(*v, m_.topVia_);
      if (!viaOk_) fail(ParseError::MalformedVia);
    }
    m_.vias_.push_back(*v);
  }
  if (!any) fail(ParseError::MalformedVia);
}

void MessageParser::onNameAddr(std::string_view value, NameAddr& out, std::string_view& text,
                               bool& seen, bool& ok, ParseError malformed,
                               ParseError multiple) noexcept {
  if (seen) {
    fail(multiple);
    return;
  }
  seen = true;
  text = value;
  ok = parseNameAddr(value, out) && !out.star;
  if (!ok) fail(malformed);
}

// CSeq = 1*DIGIT LWS Method (RFC 3261 20.16); the number is below 2**31 (8.1.1.5).
void MessageParser::onCSeq(std::string_view value) noexcept {
  if (cseqSeen_) {
    fail(ParseError::MultipleCSeq);
    return;
  }
  cseqSeen_ = true;
  m_.cseqText_ = value;
  std::size_t n = 0;
  while (n < value.size() && text::isDigit(value[n])) ++n;
  const auto number = text::parseUint(value.substr(0, n), 0x7fffffffu);
  std::size_t m = n;
  while (m < value.size() && text::isWs(value[m])) ++m;
  const auto method = value.substr(m);
  if (!number || m == n || !text::isToken(method)) {
    fail(ParseError::MalformedCSeq);
    return;
  }
  m_.cseq_ = CSeq{*number, method, methodFromName(method)};
  cseqOk_ = true;
}

// Content-Length = 1*DIGIT (RFC 3261 20.14); several fields must agree.
void MessageParser::onContentLength(std::string_view value) noexcept {
  const auto length = text::parseUint(value);
  if (!length || (m_.contentLength_ && *m_.contentLength_ != *length)) {
    fail(ParseError::MalformedContentLength);
    return;
  }
  m_.contentLength_ = length;
}

// Mandatory headers of a request (RFC 3261 8.1.1) and of a response (8.2.6.2).
void MessageParser::checkMandatory() noexcept {
  if (m_.vias_.empty()) fail(ParseError::MissingVia);
  if (!fromSeen_) fail(ParseError::MissingFrom);
  if (!toSeen_) fail(ParseError::MissingTo);
  if (!callIdSeen_) fail(ParseError::MissingCallId);
  if (!cseqSeen_) fail(ParseError::MissingCSeq);
  if (m_.isRequest_ && cseqOk_ && m_.cseq_.methodText != m_.methodText_) {
    fail(ParseError::CSeqMethodMismatch);
  }
}

// Body framing (RFC 3261 18.3, 20.14).
void MessageParser::setBody(std::size_t pos, Framing framing) noexcept {
  const std::string_view rest = std::string_view(m_.buffer_).substr(pos);
  if (!m_.contentLength_) {
    if (framing == Framing::Stream) {
      fail(ParseError::MissingContentLength);
      return;
    }
    m_.body_ = rest;
    return;
  }
  const std::size_t length = *m_.contentLength_;
  if (rest.size() < length || (framing == Framing::Stream && rest.size() != length)) {
    fail(ParseError::ContentLengthMismatch);
    m_.body_ = rest.substr(0, length);
    return;
  }
  m_.body_ = rest.substr(0, length);  // datagram: extra bytes are discarded
}

ParseResult MessageParser::run(std::unique_ptr<Message> owned, Framing framing) noexcept {
  ParseResult result;
  char* buf = m_.buffer_.data();
  const std::size_t size = m_.buffer_.size();
  std::size_t pos = 0;
  // Empty lines before the start line are ignored (RFC 3261 7.5).
  while (pos < size && (buf[pos] == '\r' || buf[pos] == '\n')) ++pos;
  if (pos == size) {
    result.error = ParseError::Empty;
    return result;
  }
  const void* nl = std::memchr(buf + pos, '\n', size - pos);
  if (nl == nullptr) {
    result.error = ParseError::MalformedStartLine;
    return result;
  }
  const auto nlPos = std::size_t(static_cast<const char*>(nl) - buf);
  const std::size_t lineEnd = (nlPos > pos && buf[nlPos - 1] == '\r') ? nlPos - 1 : nlPos;
  if (!parseStartLine(std::string_view(buf + pos, lineEnd - pos))) {
    result.error = ParseError::MalformedStartLine;
    return result;
  }
  pos = nlPos + 1;
  m_.headers_.reserve(limits_.maxHeaders < 24 ? limits_.maxHeaders : 24);
  parseHeaders(buf, size, pos);
  checkMandatory();
  if (sawHeaderEnd_) {
    setBody(pos, framing);
  } else {
    fail(ParseError::MissingHeaderEnd);
  }
  result.error = error_;
  result.canRespond = error_ != ParseError::None && m_.isRequest_ && viaOk_ && fromOk_ && toOk_ &&
                      callIdSeen_ && !m_.callId_.empty() && cseqOk_;
  result.message = std::move(owned);
  return result;
}

ParseResult parseMessage(std::string&& bytes, const ParserLimits& limits, Framing framing) {
  if (bytes.size() > limits.maxMessageBytes) {
    ParseResult result;
    result.error = ParseError::MessageTooLarge;
    return result;
  }
  std::unique_ptr<Message> message = MessageParser::create(std::move(bytes));
  Message& ref = *message;
  MessageParser parser(ref, limits);
  return parser.run(std::move(message), framing);
}

}  // namespace sipha::sip
